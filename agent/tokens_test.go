package agent

import (
	"slices"
	"testing"
)

// tokens are the tokens a span of values gets.
func (tk *tokenizer) tokens(values ...string) []string {
	var hashes [maxTokens]uint64
	n := tk.hashes(&hashes, values...)
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i, h := range hashes[:n] {
		out[i] = string(appendToken(nil, h))
	}
	return out
}

func TestTokens(t *testing.T) {
	var tk tokenizer
	path := tk.tokens("/cart/1234?order=o-77&page=x")
	key := tk.tokens("cart:1234")
	param := tk.tokens("1234")
	if len(path) != 2 || len(key) != 1 || !slices.Equal(key, param) || path[0] != key[0] {
		t.Fatalf("path %q, key %q, param %q: want the id 1234 to give one equal token in each, and o-77's 77 a second in the path", path, key, param)
	}
	if slices.Contains(path, "1234") || len(path[0]) != 12 {
		t.Errorf("tokens %q must be 12-hex-digit hashes, never the value", path)
	}
	if got := tk.tokens("/health", "GET", "x", "7"); got != nil {
		t.Errorf("tokens of values without a two-character id = %q, want none", got)
	}
	var other tokenizer
	if other.tokens("1234")[0] == param[0] {
		t.Error("two agents hashed alike: the key must be random per agent")
	}
	if n := len(tk.tokens("a1 b2 c3 d4 e5 f6 g7 h8 i9 j10 k11")); n != maxTokens {
		t.Errorf("%d tokens, want at most %d", n, maxTokens)
	}
}
