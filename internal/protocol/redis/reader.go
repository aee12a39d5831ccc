package redis

import (
	"bytes"

	"github.com/vigil-dev/vigil/internal/reassembly"
)

type rstate uint8

const (
	rsLine   rstate = iota // a type byte and its line
	rsBulk                 // a bulk payload and its CRLF: remaining bytes
	rsInline               // an inline command line
	rsResync               // framing lost: wait for a frame start at a piece start
)

// Bounds on what a sane peer sends; beyond them the bytes are not RESP.
const (
	maxHeader = 24       // "$" or "*" line: type, up to 20 digits, CRLF
	maxLine   = 64 << 10 // simple string, error, number lines; inline commands (Redis' own limit)
	maxCount  = 1 << 24  // aggregate elements
	maxBulk   = 1 << 32  // bulk length (Redis allows up to 512 MB by default)
	maxDepth  = 64
	keepLine  = MaxText + 8
)

// capture holds the head of one value (an argument, an error line).
type capture struct {
	typ  byte
	b    []byte
	want int  // bytes of the value within MaxText
	lost bool // some of those bytes were not captured (or not decodable)
}

// frame is one top-level RESP value (or inline command) as read.
type frame struct {
	typ          byte  // type of the value after any attribute; 'i' inline
	count        int64 // top-level aggregate elements (-1 null)
	elems        int   // depth-1 values read (inline: words)
	caps         [4]capture
	bytes        int64
	start, end   uint64
	atPieceStart bool // began at the first captured byte of a piece
	lost         bool // some bytes were skipped by count
}

type level struct {
	left int64
	attr bool // a RESP3 attribute: the value it annotates follows
}

// reader cuts one direction into frames; it never holds more than a line.
type reader struct {
	isReq    bool
	st       rstate
	open     bool
	line     []byte // the current line's head (keepLine bytes)
	lineLen  int
	lastByte byte
	remain   int64 // rsBulk: payload + CRLF bytes left
	capIdx   int   // rsBulk: where payload goes, -1 nowhere
	stack    []level
	cur      frame
	in       inlineSplit
	pc       reassembly.Piece
	done     func(f *frame)   // a frame ended; f is reused afterwards
	lost     func(why string) // framing lost
	started  func(f *frame)   // a frame began
}

// piece consumes one reassembled piece.
func (r *reader) piece(pc reassembly.Piece) {
	r.pc = pc
	if pc.Lost > 0 {
		r.gap(int64(min(pc.Lost, 1<<62)), "lost")
	}
	data := pc.Data
	for first := true; len(data) > 0; first = false {
		if r.st == rsResync {
			if !first || !startsFrame(data, r.isReq) {
				break // the rest of this piece is not known to begin anything
			}
			r.st = rsLine
		}
		if r.open {
			r.cur.end = pc.End
		}
		data = data[r.step(data, first):]
	}
	if pc.Skipped > 0 {
		r.gap(int64(pc.Skipped), "not captured")
	}
}

// step consumes a prefix of data and returns its length (0 only when it
// switched state without consuming).
func (r *reader) step(data []byte, first bool) int {
	switch r.st {
	case rsBulk:
		return r.stepBulk(data)
	case rsInline:
		return r.stepInline(data)
	}
	if !r.open && r.lineLen == 0 {
		r.openFrame(first)
		if r.isReq && data[0] != '*' {
			r.st = rsInline
			r.in = inlineSplit{}
			return 0
		}
	}
	i := bytes.IndexByte(data, '\n')
	n := len(data)
	if i >= 0 {
		n = i + 1
	}
	if k := min(n, keepLine-len(r.line)); k > 0 {
		r.line = append(r.line, data[:k]...)
	}
	cr := r.lastByte == '\r'
	if i > 0 {
		cr = data[i-1] == '\r'
	}
	r.lastByte = data[n-1]
	r.lineLen += n
	r.cur.bytes += int64(n)
	limit := maxLine
	if t := r.line[0]; isHeaderType(t) {
		limit = maxHeader
	}
	switch {
	case r.lineLen > limit:
		r.malformed()
	case i >= 0 && (!cr || r.lineLen < 3):
		r.malformed()
	case i >= 0:
		body := r.line[1:]
		if r.lineLen <= keepLine {
			body = body[:len(body)-2]
		}
		t := r.line[0]
		r.lineLen = 0
		r.line = r.line[:0]
		r.endLine(t, body)
	}
	return n
}

func isHeaderType(t byte) bool {
	switch t {
	case '$', '*', '%', '~', '>', '|', '=', '!', '_', '#':
		return true
	}
	return false
}

func (r *reader) openFrame(first bool) {
	caps := r.cur.caps
	for i := range caps {
		caps[i] = capture{b: caps[i].b[:0]}
	}
	r.cur = frame{caps: caps, start: r.pc.Start, end: r.pc.End, atPieceStart: first && r.pc.Lost == 0}
	r.open = true
	if r.started != nil {
		r.started(&r.cur)
	}
}

// slot says where a value starting now is captured, -1 nowhere.
func (r *reader) slot(t byte) int {
	if len(r.stack) == 0 {
		if r.isReq || t == '-' || t == '!' || t == '+' {
			return 0
		}
		return -1
	}
	if len(r.stack) != 1 || r.stack[0].attr || r.cur.elems >= 4 {
		return -1
	}
	if r.isReq || (r.cur.count >= 3 && r.cur.count <= 4 && (r.cur.typ == '*' || r.cur.typ == '>')) {
		return r.cur.elems
	}
	return -1
}

// endLine acts on a complete line: t its type, body what follows (cut to
// keepLine).
func (r *reader) endLine(t byte, body []byte) {
	if r.isReq && (len(r.stack) == 0 && t != '*' || len(r.stack) > 0 && t != '$') {
		r.malformed() // commands are arrays of bulk strings
		return
	}
	idx := r.slot(t)
	if len(r.stack) == 0 && t != '|' {
		r.cur.typ = t
	}
	switch t {
	case '+', '-', ':', ',', '(', '#', '_':
		if !scalarOK(t, body) {
			r.malformed()
			return
		}
		if idx >= 0 {
			c := &r.cur.caps[idx]
			c.typ = t
			c.b = append(c.b, body[:min(len(body), MaxText)]...)
			c.want = len(c.b)
		}
		r.valueDone()
	case '$', '=', '!':
		n, ok := atoi(body)
		if !ok || n < -1 || n > maxBulk || (n == -1 && (t != '$' || r.isReq)) {
			r.malformed()
			return
		}
		if len(r.stack) == 0 {
			r.cur.count = n
		}
		if n == -1 {
			r.valueDone()
			return
		}
		r.capIdx = idx
		if idx >= 0 {
			r.cur.caps[idx].typ = t
			r.cur.caps[idx].want = int(min(n, MaxText))
		}
		r.st, r.remain = rsBulk, n+2
	case '*', '%', '~', '>', '|':
		n, ok := atoi(body)
		if !ok || n < -1 || n > maxCount || (n == -1 && t != '*') || len(r.stack) >= maxDepth {
			r.malformed()
			return
		}
		if len(r.stack) == 0 && t != '|' {
			r.cur.count = n
		}
		if t == '%' || t == '|' {
			n *= 2
		}
		if n <= 0 {
			if t == '|' {
				return // an empty attribute: the value follows
			}
			r.valueDone()
			return
		}
		r.stack = append(r.stack, level{left: n, attr: t == '|'})
	default:
		r.malformed()
	}
}

// scalarOK checks what a line-only value must look like.
func scalarOK(t byte, b []byte) bool {
	switch t {
	case ':', '(':
		_, ok := atoi(b)
		return ok || t == '(' && len(b) > 0
	case '#':
		return len(b) == 1 && (b[0] == 't' || b[0] == 'f')
	case '_':
		return len(b) == 0
	case ',':
		return len(b) > 0
	}
	return true
}

func (r *reader) stepBulk(data []byte) int {
	n := int(min(int64(len(data)), r.remain))
	payload := min(int64(n), max(r.remain-2, 0))
	if r.capIdx >= 0 {
		c := &r.cur.caps[r.capIdx]
		if k := min(int(payload), c.want-len(c.b)); k > 0 {
			c.b = append(c.b, data[:k]...)
		}
	}
	for i := int(payload); i < n; i++ { // the CRLF after the payload
		if data[i] != "\r\n"[2-(r.remain-int64(i))] {
			r.cur.bytes += int64(i)
			r.malformed()
			return i + 1
		}
	}
	r.remain -= int64(n)
	r.cur.bytes += int64(n)
	if r.remain == 0 {
		r.st = rsLine
		r.valueDone()
	}
	return n
}

// gap accounts for n bytes that were moved but are not here: a bulk
// payload is skipped by count, anything else loses the framing.
func (r *reader) gap(n int64, why string) {
	if r.open {
		r.cur.end = r.pc.End
	}
	switch r.st {
	case rsResync:
		return
	case rsBulk:
		take := min(n, r.remain)
		if r.capIdx >= 0 && r.remain-2 > 0 {
			c := &r.cur.caps[r.capIdx]
			if len(c.b) < c.want {
				c.lost = true
			}
		}
		r.remain -= take
		r.cur.bytes += take
		r.cur.lost = true
		n -= take
		if r.remain == 0 {
			r.st = rsLine
			r.valueDone()
		}
		if n == 0 {
			return
		}
	}
	r.st = rsResync
	r.open = false
	r.stack = r.stack[:0]
	r.line, r.lineLen = r.line[:0], 0
	r.lost("framing " + why)
}

func (r *reader) malformed() {
	r.st = rsResync
	r.open = false
	r.stack = r.stack[:0]
	r.line, r.lineLen = r.line[:0], 0
	r.lost("malformed")
}

// valueDone closes the values that end with the one just read.
func (r *reader) valueDone() {
	for len(r.stack) > 0 {
		top := &r.stack[len(r.stack)-1]
		if len(r.stack) == 1 && !top.attr {
			r.cur.elems++
		}
		top.left--
		if top.left > 0 {
			return
		}
		attr := top.attr
		r.stack = r.stack[:len(r.stack)-1]
		if attr {
			return
		}
	}
	r.open = false
	r.done(&r.cur)
}

// atoi parses a RESP length or integer; no signs other than a leading '-'.
func atoi(b []byte) (int64, bool) {
	neg := len(b) > 0 && (b[0] == '-' || b[0] == '+')
	if neg {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' || n > (1<<62)/10 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}
