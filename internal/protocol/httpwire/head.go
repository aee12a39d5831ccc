package httpwire

import (
	"bytes"
	"strconv"
	"strings"
)

// maxHead bounds a header block; a longer one is given up on.
const maxHead = 16 << 10

// head is what a message's start line and headers say.
type head struct {
	method, target, version       string // requests
	status                        int    // responses
	host, traceparent, tracestate string
	contentLength                 int64 // -1 when absent
	chunked, connClose, upgrade   bool
}

var httpPrefix = []byte("HTTP/1.")

// startKind says whether b (the first bytes of a message) looks like a
// request line, a status line, neither, or cannot tell yet.
type startKind uint8

const (
	startUnsure startKind = iota
	startRequest
	startResponse
	startNone
)

func classify(b []byte) startKind {
	if len(b) == 0 {
		return startUnsure
	}
	if b[0] == 'H' {
		n := min(len(b), len(httpPrefix))
		if bytes.Equal(b[:n], httpPrefix[:n]) {
			if n == len(httpPrefix) {
				return startResponse
			}
			return startUnsure
		}
	}
	// METHOD SP: an upper-case token of 3 to 16 letters (or '-').
	for i, c := range b {
		switch {
		case c == ' ' && i >= 3:
			return startRequest
		case (c >= 'A' && c <= 'Z') || c == '-':
			if i >= 16 {
				return startNone
			}
		default:
			return startNone
		}
	}
	return startUnsure
}

// parseHead parses a complete header block (terminator included).
func parseHead(b []byte, isReq bool) (head, bool) {
	sc := headScan{isReq: isReq}
	for len(b) > 0 && !sc.stopped {
		eol := bytes.IndexByte(b, '\n')
		if eol < 0 {
			break
		}
		sc.line(b[:eol])
		b = b[eol+1:]
	}
	return sc.result()
}

// scanHead finds the end of the header block b starts with, as headEnd(b,
// 0) does, and parses it, as parseHead(b[:end]) does, in one walk over its
// line feeds; end is -1 while the block is incomplete.
func scanHead(b []byte, isReq bool) (h head, end int, ok bool) {
	sc := headScan{isReq: isReq}
	end, lflf := -1, -1
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			break
		}
		j += i
		if !sc.stopped {
			sc.line(b[i:j])
		}
		if j >= 1 && b[j-1] == '\r' && j+2 < len(b) && b[j+1] == '\r' && b[j+2] == '\n' {
			end = j + 3
			break
		}
		if lflf < 0 && j+1 < len(b) && b[j+1] == '\n' {
			lflf = j + 2
		}
		i = j + 1
	}
	if end < 0 {
		end = lflf
	}
	if end < 0 {
		return h, -1, false
	}
	h, ok = sc.result()
	return h, end, ok
}

// headScan parses a head line by line: the start line, then header lines
// up to the first empty one.
type headScan struct {
	isReq   bool
	lines   int
	h       head
	kept    keptValues
	failed  bool
	stopped bool // the rest is not looked at
}

// line takes the next line, its '\n' cut off.
func (sc *headScan) line(line []byte) {
	line = bytes.TrimRight(line, "\r")
	sc.lines++
	switch {
	case sc.lines == 1:
		sc.h.contentLength = -1
		sc.failed = !sc.startLine(line)
		sc.stopped = sc.failed
	case len(line) == 0:
		sc.stopped = true
	default:
		// Other lines, obsolete folding and junk included, are ignored: Go's
		// server would reject them, not our job.
		sc.failed = !sc.h.header(line, &sc.kept)
		sc.stopped = sc.failed
	}
}

// startLine parses a request or status line.
func (sc *headScan) startLine(line []byte) bool {
	h := &sc.h
	if sc.isReq {
		sp1 := bytes.IndexByte(line, ' ')
		sp2 := bytes.LastIndexByte(line, ' ')
		if sp1 <= 0 || sp2 <= sp1 || !bytes.HasPrefix(line[sp2+1:], httpPrefix) {
			return false
		}
		h.method, sc.kept.target = intern(line[:sp1]), line[sp1+1:sp2]
		h.version = intern(line[sp2+1+5:])
	} else {
		if !bytes.HasPrefix(line, httpPrefix) || len(line) < 12 || line[8] != ' ' {
			return false
		}
		h.version = intern(line[5:8])
		st, ok := parseDecimal(line[9:12])
		if !ok || st < 100 || st > 999 {
			return false
		}
		h.status = int(st)
	}
	if h.version == "1.0" {
		h.connClose = true
	}
	return true
}

// result is the head read, false when it is malformed or has no line.
func (sc *headScan) result() (head, bool) {
	if sc.lines == 0 || sc.failed {
		return head{contentLength: -1}, false
	}
	sc.kept.copyTo(&sc.h)
	return sc.h, true
}

// keptValues are the values a head keeps, still in the header buffer
// (which the next message reuses).
type keptValues struct {
	target, host, traceparent, tracestate []byte
}

// copyTo copies the values out of the buffer in one allocation: the head's
// strings share it.
func (k *keptValues) copyTo(h *head) {
	n := len(k.target) + len(k.host) + len(k.traceparent) + len(k.tracestate)
	if n == 0 {
		return
	}
	var sb strings.Builder
	sb.Grow(n)
	for _, v := range [...][]byte{k.target, k.host, k.traceparent, k.tracestate} {
		sb.Write(v)
	}
	all := sb.String()
	next := func(v []byte) string {
		s := all[:len(v)]
		all = all[len(v):]
		return s
	}
	h.target, h.host, h.traceparent, h.tracestate = next(k.target), next(k.host), next(k.traceparent), next(k.tracestate)
}

// header records the fields the agent uses from one header line; it fails
// on a malformed length. A field is known by its first letter, then its
// name and the colon right after it: the other lines are not searched for
// their colon.
func (h *head) header(line []byte, kept *keptValues) bool {
	switch line[0] | 0x20 {
	case 'c':
		if v, ok := fieldValue(line, "content-length"); ok {
			n, ok := parseDecimal(v)
			if !ok {
				return false
			}
			h.contentLength = n
		} else if v, ok := fieldValue(line, "connection"); ok {
			if containsFold(v, "close") {
				h.connClose = true
			}
			if containsFold(v, "keep-alive") {
				h.connClose = false
			}
			if containsFold(v, "upgrade") {
				h.upgrade = true
			}
		}
	case 't':
		if v, ok := fieldValue(line, "transfer-encoding"); ok {
			h.chunked = hasSuffixFold(v, "chunked")
		} else if v, ok := fieldValue(line, "tracestate"); ok {
			kept.tracestate = v
		} else if v, ok := fieldValue(line, "traceparent"); ok {
			kept.traceparent = v
		}
	case 'h':
		if v, ok := fieldValue(line, "host"); ok {
			kept.host = v
		}
	}
	return true
}

// fieldValue returns the trimmed value of line when it is the named field
// (any case).
func fieldValue(line []byte, name string) ([]byte, bool) {
	if len(line) <= len(name) || line[len(name)] != ':' || !bytes.EqualFold(line[:len(name)], []byte(name)) {
		return nil, false
	}
	return bytes.TrimSpace(line[len(name)+1:]), true
}

// parseDecimal reads a non-negative number as strconv.ParseInt(v, 10, 64)
// would (a sign allowed, "-0" included), without making v a string when it
// is plain digits.
func parseDecimal(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 { // 18 digits cannot overflow
		return parseDecimalSlow(v)
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return parseDecimalSlow(v)
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func parseDecimalSlow(v []byte) (int64, bool) {
	n, err := strconv.ParseInt(string(v), 10, 64)
	return n, err == nil && n >= 0
}

func hasSuffixFold(v []byte, suffix string) bool {
	return len(v) >= len(suffix) && bytes.EqualFold(v[len(v)-len(suffix):], []byte(suffix))
}

func containsFold(v []byte, sub string) bool {
	for i := 0; i+len(sub) <= len(v); i++ {
		if bytes.EqualFold(v[i:i+len(sub)], []byte(sub)) {
			return true
		}
	}
	return false
}

// headEnd finds the end of a header block in b, searching from `from`: the
// first CRLFCRLF, else the first LFLF. Both have a '\n' as second byte, so
// one walk over the line feeds finds either (a search for "\r\n\r\n" stops
// at every line's '\r').
func headEnd(b []byte, from int) int {
	from = max(from-3, 0)
	lflf := -1
	for i := from; i < len(b); {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			break
		}
		j += i
		if j-1 >= from && b[j-1] == '\r' && j+2 < len(b) && b[j+1] == '\r' && b[j+2] == '\n' {
			return j + 3
		}
		if lflf < 0 && j+1 < len(b) && b[j+1] == '\n' {
			lflf = j + 2
		}
		i = j + 1
	}
	return lflf
}

// intern shares the common methods and versions instead of allocating
// them per message.
func intern(b []byte) string {
	switch string(b) { // no allocation: the compiler compares b
	case "GET":
		return "GET"
	case "POST":
		return "POST"
	case "PUT":
		return "PUT"
	case "DELETE":
		return "DELETE"
	case "HEAD":
		return "HEAD"
	case "OPTIONS":
		return "OPTIONS"
	case "PATCH":
		return "PATCH"
	case "CONNECT":
		return "CONNECT"
	case "TRACE":
		return "TRACE"
	case "1.0":
		return "1.0"
	case "1.1":
		return "1.1"
	}
	return string(b)
}

// Detect tells whether data, the first bytes of one direction of a
// connection, starts an HTTP/1.x message: a request line ending in
// " HTTP/1.x" or a status line. sure is false when the data is too short to
// tell (a head written in tiny pieces).
func Detect(data []byte) (isRequest, ok, sure bool) {
	switch classify(data[:min(len(data), 24)]) {
	case startResponse:
		return false, true, true
	case startRequest:
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line = bytes.TrimRight(data[:i], "\r")
		} else {
			return true, true, false
		}
		j := bytes.LastIndexByte(line, ' ')
		return true, j > 0 && bytes.HasPrefix(line[j+1:], []byte("HTTP/1.")), true
	case startUnsure:
		return false, false, false
	}
	return false, false, true
}
