package agent

import (
	"hash/maphash"

	"github.com/vigil-dev/vigil/internal/span"
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
// order references), split by span.IdentifyingFields as correlation splits them.
// Two allocations whatever the count: the tokens share one string.
func (tk *tokenizer) tokens(values ...string) []string {
	var hashes [maxTokens]uint64
	n := 0
	for _, v := range values {
		span.IdentifyingFields(v, func(f string) bool {
			hashes[n] = tk.hash(f)
			n++
			return n < maxTokens
		})
		if n == maxTokens {
			break
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
