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

// hashes puts the keyed hashes of the parts of values that carry a digit
// (ids, numbers, order references), split by span.IdentifyingFields as
// correlation splits them, in hashes and returns their count. A span's
// tokens are their appendToken texts (tracker.setTokens).
func (tk *tokenizer) hashes(hashes *[maxTokens]uint64, values ...string) int {
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
	return n
}

// appendToken appends a hash's token: its low bytes in hex, first byte
// first.
func appendToken(b []byte, h uint64) []byte {
	for i := range tokenLen / 2 {
		c := byte(h >> (8 * i))
		b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return b
}

// tokenLen is a token's hex digits: 48 bits of hash.
const tokenLen = 12

func (tk *tokenizer) hash(s string) uint64 {
	if !tk.init {
		tk.seed, tk.init = maphash.MakeSeed(), true
	}
	return maphash.String(tk.seed, s)
}
