package ingest

import (
	"time"

	"github.com/vigil-dev/vigil/internal/span"
)

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
	putHex(buf[tLen:tLen+hLen], span.IDMix(span.IDMix(snd.spanSeed, nanos), seq))
	putHex(buf[tLen+hLen:tLen+2*hLen], span.IDMix(span.IDMix(snd.traceSeed, nanos), seq))
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
