package agent

import (
	"encoding/hex"
	"hash/maphash"
)

// maxTokens bounds the tokens of one span.
const maxTokens = 8

// tokenizer turns the identifying values of a request (ids in its path,
// its Redis key, its SQL literals and parameters) into span.Vigil.Tokens:
// keyed hashes, so that in-process correlation can see that a query used
// the id a request carried while the store never holds the value. The key
// is random per agent process and never leaves it.
type tokenizer struct {
	seed maphash.Seed
	init bool
}

// tokens hashes the parts of values that carry a digit (ids, numbers,
// order references), as correlation's own field extraction splits them.
func (tk *tokenizer) tokens(values ...string) []string {
	var out []string
	for _, v := range values {
		start := -1
		for i := 0; i <= len(v) && len(out) < maxTokens; i++ {
			if i < len(v) && isAlnum(v[i]) {
				if start < 0 {
					start = i
				}
				continue
			}
			if start >= 0 && i-start >= 2 && hasDigit(v[start:i]) {
				out = append(out, tk.hash(v[start:i]))
			}
			start = -1
		}
	}
	return out
}

func (tk *tokenizer) hash(s string) string {
	if !tk.init {
		tk.seed, tk.init = maphash.MakeSeed(), true
	}
	var b [8]byte
	h := maphash.String(tk.seed, s)
	for i := range b {
		b[i] = byte(h >> (8 * i))
	}
	return hex.EncodeToString(b[:6])
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			return true
		}
	}
	return false
}
