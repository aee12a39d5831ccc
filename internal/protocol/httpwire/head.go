package httpwire

import (
	"bytes"
	"strconv"
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
	h := head{contentLength: -1}
	eol := bytes.IndexByte(b, '\n')
	if eol < 0 {
		return h, false
	}
	line := bytes.TrimRight(b[:eol], "\r")
	if isReq {
		sp1 := bytes.IndexByte(line, ' ')
		sp2 := bytes.LastIndexByte(line, ' ')
		if sp1 <= 0 || sp2 <= sp1 || !bytes.HasPrefix(line[sp2+1:], httpPrefix) {
			return h, false
		}
		h.method, h.target = intern(line[:sp1]), string(line[sp1+1:sp2])
		h.version = intern(line[sp2+1+5:])
	} else {
		if !bytes.HasPrefix(line, httpPrefix) || len(line) < 12 || line[8] != ' ' {
			return h, false
		}
		h.version = intern(line[5:8])
		st, err := strconv.Atoi(string(line[9:12]))
		if err != nil || st < 100 || st > 999 {
			return h, false
		}
		h.status = st
	}
	if h.version == "1.0" {
		h.connClose = true
	}
	rest := b[eol+1:]
	for len(rest) > 0 {
		eol = bytes.IndexByte(rest, '\n')
		if eol < 0 {
			break
		}
		line, rest = bytes.TrimRight(rest[:eol], "\r"), rest[eol+1:]
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			continue // obsolete folding or junk: ignored as Go's server would reject, not our job
		}
		if !h.header(line[:colon], bytes.TrimSpace(line[colon+1:])) {
			return h, false
		}
	}
	return h, true
}

// header records the fields the agent uses; it fails on a malformed length.
func (h *head) header(name, value []byte) bool {
	// Dispatch on the length first: most headers are none of these.
	switch len(name) {
	case 14:
		if bytes.EqualFold(name, []byte("content-length")) {
			n, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil || n < 0 {
				return false
			}
			h.contentLength = n
		}
	case 17:
		if bytes.EqualFold(name, []byte("transfer-encoding")) {
			h.chunked = hasSuffixFold(value, "chunked")
		}
	case 10:
		if bytes.EqualFold(name, []byte("connection")) {
			if containsFold(value, "close") {
				h.connClose = true
			}
			if containsFold(value, "keep-alive") {
				h.connClose = false
			}
			if containsFold(value, "upgrade") {
				h.upgrade = true
			}
		} else if bytes.EqualFold(name, []byte("tracestate")) {
			h.tracestate = string(value)
		}
	case 4:
		if bytes.EqualFold(name, []byte("host")) {
			h.host = string(value)
		}
	case 11:
		if bytes.EqualFold(name, []byte("traceparent")) {
			h.traceparent = string(value)
		}
	}
	return true
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

// headEnd finds the end of a header block in b, searching from `from`.
func headEnd(b []byte, from int) int {
	from = max(from-3, 0)
	if i := bytes.Index(b[from:], []byte("\r\n\r\n")); i >= 0 {
		return from + i + 4
	}
	if i := bytes.Index(b[from:], []byte("\n\n")); i >= 0 {
		return from + i + 2
	}
	return -1
}

// common values are shared instead of allocated per message.
var common = func() map[string]string {
	m := map[string]string{}
	for _, s := range []string{"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE", "1.0", "1.1"} {
		m[s] = s
	}
	return m
}()

func intern(b []byte) string {
	if s, ok := common[string(b)]; ok { // no allocation: the compiler reuses b
		return s
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
