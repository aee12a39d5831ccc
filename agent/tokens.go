package agent

import "hash/maphash"

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
// Two allocations whatever the count: the tokens share one string.
func (tk *tokenizer) tokens(values ...string) []string {
	var hashes [maxTokens]uint64
	n := 0
	for _, v := range values {
		start := -1
		for i := 0; i <= len(v) && n < maxTokens; i++ {
			if i < len(v) && isAlnum(v[i]) {
				if start < 0 {
					start = i
				}
				continue
			}
			if start >= 0 && i-start >= 2 && hasDigit(v[start:i]) {
				hashes[n] = tk.hash(v[start:i])
				n++
			}
			start = -1
		}
	}
	if n == 0 {
		return nil
	}
	const hexDigits = "0123456789abcdef"
	buf := make([]byte, 0, tokenLen*n)
	for _, h := range hashes[:n] {
		for i := range tokenLen / 2 {
			c := byte(h >> (8 * i))
			buf = append(buf, hexDigits[c>>4], hexDigits[c&0xf])
		}
	}
	all := string(buf)
	out := make([]string, n)
	for i := range out {
		out[i] = all[i*tokenLen : (i+1)*tokenLen]
	}
	return out
}

// tokenLen is a token's hex digits: 48 bits of hash.
const tokenLen = 12

func (tk *tokenizer) hash(s string) uint64 {
	if !tk.init {
		tk.seed, tk.init = maphash.MakeSeed(), true
	}
	return maphash.String(tk.seed, s)
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
