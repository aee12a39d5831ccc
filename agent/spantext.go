package agent

// spanText gathers the strings a span's builder makes (ids, name, tokens,
// statement) in a reused buffer and, once the span is built, hands them out
// as parts of one string: one allocation per span instead of one each.
// The tracker's event loop owns it; one span is built at a time.
type spanText struct {
	buf  []byte
	refs []textRef
}

// textRef is a string field waiting for its part of the buffer.
type textRef struct {
	dst      *string
	from, to int
}

// mark is the current end of the text, where the next part starts.
func (st *spanText) mark() int { return len(st.buf) }

// set makes *dst the text written since from, when the span is done.
func (st *spanText) set(dst *string, from int) {
	st.refs = append(st.refs, textRef{dst: dst, from: from, to: len(st.buf)})
}

// add sets *dst to the concatenation of parts.
func (st *spanText) add(dst *string, parts ...string) {
	from := st.mark()
	for _, p := range parts {
		st.buf = append(st.buf, p...)
	}
	st.set(dst, from)
}

const hexDigits = "0123456789abcdef"

// hex writes the low digits*4 bits of v (digits <= 16), most significant
// first.
func (st *spanText) hex(v uint64, digits int) {
	var b [16]byte
	for i := digits - 1; i >= 0; i-- {
		b[i] = hexDigits[v&0xf]
		v >>= 4
	}
	st.buf = append(st.buf, b[:digits]...)
}

// done assigns the span's strings and empties the text for the next span.
func (st *spanText) done() {
	if len(st.refs) > 0 {
		all := string(st.buf)
		for _, r := range st.refs {
			*r.dst = all[r.from:r.to]
		}
	}
	clear(st.refs) // the pointers are into the span: do not keep it reachable
	st.buf, st.refs = st.buf[:0], st.refs[:0]
}
