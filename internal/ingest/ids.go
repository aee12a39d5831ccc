package ingest

import "time"

// FNV-1a, as span.IDOf computes it; the sender's key is hashed once per
// sender (seed), only the two numbers per datagram.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvSeed(key string) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(key); i++ {
		h = (h ^ uint64(key[i])) * fnvPrime
	}
	return h
}

func fnvMix(h, n uint64) uint64 {
	for range 8 {
		h = (h ^ (n & 0xff)) * fnvPrime
		n >>= 8
	}
	return h
}

// spanIDs returns, in one allocation, what span.TimeOrderedID(start,
// span.IDOf(spanKey, nanos, seq)), that span id, and span.IDOf(traceKey,
// nanos, seq) followed by the span id would: the record id, the span id
// and the trace id.
func spanIDs(snd *sender, start time.Time, nanos, seq uint64) (id, spanID, traceID string) {
	const (
		tLen = 13 // hex digits of Unix microseconds
		hLen = 16 // hex digits of a hash
	)
	var buf [tLen + 3*hLen]byte
	putHex(buf[:tLen], uint64(start.UnixMicro()))
	putHex(buf[tLen:tLen+hLen], fnvMix(fnvMix(snd.spanSeed, nanos), seq))
	putHex(buf[tLen+hLen:tLen+2*hLen], fnvMix(fnvMix(snd.traceSeed, nanos), seq))
	copy(buf[tLen+2*hLen:], buf[tLen:tLen+hLen])
	s := string(buf[:])
	return s[:tLen+hLen], s[tLen : tLen+hLen], s[tLen+hLen:]
}

// putHex writes the low 4*len(dst) bits of v as lower-case hex digits.
func putHex(dst []byte, v uint64) {
	const digits = "0123456789abcdef"
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = digits[v&0xf]
		v >>= 4
	}
}
