package span

import "reflect"

// BinaryEncoder appends binary spans (as AppendBinary) of one batch,
// encoding a resource map shared by several spans (OTLP's spans of one
// resource) once: the same bytes, a fifth of an OTLP span's encoding.
// It remembers a map by identity, so the batch's maps must not change
// while it is used. The zero value is ready.
type BinaryEncoder struct {
	res map[string]any // the last resource encoded
	enc []byte         // its encoding
}

// Append appends s's binary encoding to b.
func (e *BinaryEncoder) Append(b []byte, s *Span) []byte { return s.appendBinary(b, e) }

func (e *BinaryEncoder) appendResource(b []byte, m map[string]any) []byte {
	if e == nil || len(m) == 0 {
		return appendBinAttrs(b, m)
	}
	if e.res != nil && reflect.ValueOf(m).UnsafePointer() == reflect.ValueOf(e.res).UnsafePointer() {
		return append(b, e.enc...)
	}
	start := len(b)
	b = appendBinAttrs(b, m)
	e.res, e.enc = m, append(e.enc[:0], b[start:]...)
	return b
}
