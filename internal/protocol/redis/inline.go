package redis

import "bytes"

// inlineSplit follows Redis' sdssplitargs over an inline command line, a
// byte at a time, so a line split across pieces is split the same way.
type inlineSplit struct {
	st  uint8 // inBetween, inWord, ...
	bad bool
}

const (
	inBetween uint8 = iota
	inWord
	inDQ
	inDQEsc
	inSQ
	inSQEsc
	inClosed // just after a closing quote: a space or the end must follow
)

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f' || c == 0
}

// stepInline reads an inline command ("PING\r\n", telnet style).
func (r *reader) stepInline(data []byte) int {
	i := bytes.IndexByte(data, '\n')
	n := len(data)
	if i >= 0 {
		n = i
	}
	for _, c := range data[:n] {
		r.inlineByte(c)
	}
	if i >= 0 {
		n++
	}
	r.lineLen += n
	r.cur.bytes += int64(n)
	if r.lineLen > maxLine {
		r.malformed()
		return n
	}
	if i < 0 {
		return n
	}
	s := &r.in
	if s.bad || s.st != inBetween && s.st != inWord && s.st != inClosed {
		r.malformed() // Redis answers "unbalanced quotes" and closes
		return n
	}
	if s.st != inBetween {
		r.cur.elems++
	}
	r.lineLen = 0
	r.st = rsLine
	r.cur.typ = 'i'
	r.open = false
	r.done(&r.cur)
	return n
}

func (r *reader) inlineByte(c byte) {
	s := &r.in
	switch s.st {
	case inBetween:
		if isSpace(c) {
			return
		}
		s.st = inWord
		r.inlineByte(c)
	case inWord:
		switch {
		case isSpace(c):
			r.cur.elems++
			s.st = inBetween
		case c == '"':
			s.st = inDQ
		case c == '\'':
			s.st = inSQ
		default:
			r.inlineAdd(c)
		}
	case inDQ, inSQ:
		switch {
		case c == '\\':
			s.st++ // to the escape state
		case c == '"' && s.st == inDQ, c == '\'' && s.st == inSQ:
			s.st = inClosed
		default:
			r.inlineAdd(c)
		}
	case inDQEsc, inSQEsc:
		// Escapes (\n, \x41, \') are decoded by Redis; the captured word
		// would differ from the real argument, so it is not kept.
		if r.cur.elems < 4 {
			r.cur.caps[r.cur.elems].lost = true
		}
		s.st--
	case inClosed:
		if !isSpace(c) {
			s.bad = true
			return
		}
		r.cur.elems++
		s.st = inBetween
	}
}

func (r *reader) inlineAdd(c byte) {
	if r.cur.elems >= 4 {
		return
	}
	cp := &r.cur.caps[r.cur.elems]
	cp.typ = 'i'
	if len(cp.b) < MaxText {
		cp.b = append(cp.b, c)
		cp.want = len(cp.b)
	}
}
