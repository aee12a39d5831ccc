package otlp

import "unsafe"

// strArena makes the short strings of one request (span ids, request
// targets) out of one growing buffer instead of an allocation each. Bytes
// once written are never changed: a string keeps pointing at them, and a
// buffer that grows is copied, not reused. A nil *strArena allocates each
// string as usual.
type strArena struct{ buf []byte }

// bytes returns b as a string.
func (a *strArena) bytes(b []byte) string {
	if a == nil {
		return string(b)
	}
	start := a.reserve(len(b))
	a.buf = append(a.buf, b...)
	return a.string(start)
}

// join returns x + sep + y.
func (a *strArena) join(x, sep, y string) string {
	if a == nil {
		return x + sep + y
	}
	start := a.reserve(len(x) + len(sep) + len(y))
	a.buf = append(append(append(a.buf, x...), sep...), y...)
	return a.string(start)
}

// reserve makes room for n more bytes and returns where they start.
func (a *strArena) reserve(n int) int {
	if len(a.buf)+n > cap(a.buf) {
		// A new buffer, never an append that copies: strings already
		// made keep the old one.
		a.buf = make([]byte, 0, max(2*cap(a.buf), n, 1024))
	}
	return len(a.buf)
}

func (a *strArena) string(start int) string {
	if start == len(a.buf) {
		return ""
	}
	return unsafe.String(&a.buf[start], len(a.buf)-start)
}
