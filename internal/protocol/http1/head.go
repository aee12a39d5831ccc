package http1

import "bytes"

// head is what a header block says. Byte slices alias the block.
type head struct {
	isReq         bool
	method        []byte
	target        []byte
	minor         byte
	status        int
	host          []byte
	traceparent   []byte
	tracestate    []byte
	contentLength int64 // -1 when absent
	te            bool  // Transfer-Encoding present
	chunked       bool  // chunked is the final transfer coding
	upgrade       bool  // Upgrade header present
}

// headEnd returns the length of the header block at the start of h (through
// its empty line), or -1 when it has not ended yet. The search starts at
// from, which must not be past a line end still to be examined.
func headEnd(h []byte, from int) int {
	for i := from; i < len(h); {
		j := bytes.IndexByte(h[i:], '\n')
		if j < 0 {
			return -1
		}
		k := i + j + 1 // just past the line feed
		switch {
		case k < len(h) && h[k] == '\n':
			return k + 1
		case k+1 < len(h) && h[k] == '\r' && h[k+1] == '\n':
			return k + 2
		}
		i = k
	}
	return -1
}

// firstLine returns the first line of h without its line end, and whether
// it is complete.
func firstLine(h []byte) ([]byte, bool) {
	i := bytes.IndexByte(h, '\n')
	if i < 0 {
		return h, false
	}
	return trimCR(h[:i]), true
}

// parseHead parses a header block whose start line is already known to be
// valid. With partial set the block may be cut anywhere: the complete lines
// are used and errors end the parse quietly.
func parseHead(h []byte, isReq, partial bool) (hd head, bad ErrorKind, ok bool) {
	hd.isReq, hd.contentLength = isReq, -1
	line, rest, _ := nextLine(h)
	if isReq {
		hd.method, hd.target, hd.minor, ok = requestLine(line)
	} else {
		hd.status, hd.minor, ok = statusLine(line)
	}
	if !ok {
		return hd, ErrStartLine, false
	}
	for len(rest) > 0 {
		var whole bool
		line, rest, whole = nextLine(rest)
		if len(line) == 0 || !whole {
			break // the end of the block, or the line a partial block was cut in
		}
		if kind, ok := hd.header(line); !ok {
			return hd, kind, partial
		}
	}
	return hd, 0, true
}

// nextLine splits off the first line; whole is false when it has no line end.
func nextLine(b []byte) (line, rest []byte, whole bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return b, nil, false
	}
	return trimCR(b[:i]), b[i+1:], true
}

// header records one header line if it is one the parser needs.
func (hd *head) header(line []byte) (ErrorKind, bool) {
	colon := bytes.IndexByte(line, ':')
	if colon < 0 {
		// An obsolete folded continuation is allowed; anything else is not.
		return ErrHeader, line[0] == ' ' || line[0] == '\t'
	}
	name := line[:colon]
	if len(name) == 0 || name[len(name)-1] == ' ' || name[len(name)-1] == '\t' {
		return ErrHeader, false
	}
	value := trimOWS(line[colon+1:])
	switch {
	case len(name) == 4 && lowerIs(name, "host"):
		hd.host = value
	case len(name) == 14 && lowerIs(name, "content-length"):
		n, ok := parseLength(value)
		if !ok || (hd.contentLength >= 0 && n != hd.contentLength) {
			return ErrContentLength, false
		}
		hd.contentLength = n
	case len(name) == 17 && lowerIs(name, "transfer-encoding"):
		hd.te = true
		last := value
		if i := bytes.LastIndexByte(value, ','); i >= 0 {
			last = trimOWS(value[i+1:])
		}
		hd.chunked = len(last) == 7 && lowerIs(last, "chunked")
	case len(name) == 7 && lowerIs(name, "upgrade"):
		hd.upgrade = true
	case len(name) == 11 && lowerIs(name, "traceparent"):
		hd.traceparent = value
	case len(name) == 10 && lowerIs(name, "tracestate"):
		hd.tracestate = value
	}
	return 0, true
}

// parseLength parses a Content-Length value; a list of equal values is
// accepted as RFC 9110 allows.
func parseLength(v []byte) (int64, bool) {
	n := int64(-1)
	for len(v) > 0 {
		field := v
		if i := bytes.IndexByte(v, ','); i >= 0 {
			field, v = trimOWS(v[:i]), v[i+1:]
		} else {
			v = nil
		}
		if len(field) == 0 || len(field) > 18 {
			return 0, false
		}
		var m int64
		for _, c := range field {
			if !isDigit(c) {
				return 0, false
			}
			m = m*10 + int64(c-'0')
		}
		if n >= 0 && m != n {
			return 0, false
		}
		n = m
	}
	return n, n >= 0
}

// lowerIs compares b, ASCII case-folded, with the lowercase s of equal length.
func lowerIs(b []byte, s string) bool {
	for i := range len(s) {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

func trimCR(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
