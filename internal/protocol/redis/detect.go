package redis

import "bytes"

type verdict uint8

const (
	vNone        verdict = iota // not RESP
	vRequest                    // a command starts here
	vReply                      // a reply starts here
	vUnsure                     // a consistent prefix: more bytes are needed
	vCommandLike                // an array of bulk strings led by an unknown name
)

// Detect tells, from the first bytes of one direction, whether they look
// like RESP: a command (an array of bulk strings led by a command name, or
// a known inline command) or a reply (any RESP2/RESP3 type with a valid,
// CRLF-terminated first line). ok is false when the bytes are not RESP or
// too few to tell.
func Detect(data []byte) (isRequest bool, ok bool) {
	switch classify(data) {
	case vRequest, vCommandLike:
		return true, true
	case vReply:
		return false, true
	}
	return false, false
}

// startsFrame is how a direction that lost its framing recognises a new
// frame at a piece start: only on a certain verdict.
func startsFrame(data []byte, isReq bool) bool {
	v := classify(data)
	if isReq {
		return v == vRequest
	}
	// A reply array of bulk strings may look like a command: any valid
	// reply start is accepted on the reply side.
	return v == vReply || v == vCommandLike || v == vRequest && data[0] == '*'
}

func classify(data []byte) verdict {
	if len(data) == 0 {
		return vUnsure
	}
	if data[0] == '*' {
		if v := classifyCommand(data); v != vNone {
			return v
		}
	}
	if v := classifyReply(data); v != vNone || isTypeByte(data[0]) {
		return v
	}
	return classifyInline(data)
}

func isTypeByte(c byte) bool {
	return bytes.IndexByte([]byte("+-:$*%~_,#>|=(!"), c) >= 0
}

// firstLine returns the line's body without CRLF; ok false when the line
// is not CRLF-terminated within limit bytes; more when it may still be.
func firstLine(data []byte, limit int) (body []byte, ok, more bool) {
	i := bytes.IndexByte(data[:min(len(data), limit)], '\n')
	if i < 0 {
		return nil, false, len(data) < limit
	}
	if i < 1 || data[i-1] != '\r' {
		return nil, false, false
	}
	return data[:i-1], true, false
}

// classifyCommand: "*N\r\n$M\r\nNAME..." with a known command name.
func classifyCommand(data []byte) verdict {
	h, ok, more := firstLine(data, maxHeader)
	if !ok {
		return unsureIf(more)
	}
	n, ok := atoi(h[1:])
	if !ok || n < 1 || n > maxCount {
		return vNone
	}
	rest := data[len(h)+2:]
	if len(rest) == 0 {
		return vUnsure
	}
	if rest[0] != '$' {
		return vNone
	}
	h, ok, more = firstLine(rest, maxHeader)
	if !ok {
		return unsureIf(more)
	}
	m, ok := atoi(h[1:])
	if !ok || m < 1 || m > 32 {
		return vNone
	}
	name := rest[len(h)+2:]
	if int64(len(name)) < m+2 {
		return vUnsure
	}
	if string(name[m:m+2]) != "\r\n" {
		return vNone
	}
	if !knownCommand(name[:m]) {
		var buf [32]byte
		if _, ok := upperToken(name[:m], &buf); ok && isLetter(name[0]) {
			return vCommandLike // a module command (JSON.GET), or a reply array
		}
		return vReply
	}
	return vRequest
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func unsureIf(more bool) verdict {
	if more {
		return vUnsure
	}
	return vNone
}

// classifyReply checks the first line of a reply.
func classifyReply(data []byte) verdict {
	t := data[0]
	if !isTypeByte(t) {
		return vNone
	}
	limit := maxHeader
	if !isHeaderType(t) {
		limit = 512 // long error lines are judged on their head
	}
	b, ok, more := firstLine(data, limit)
	if !ok {
		if len(data) >= limit && limit == 512 && printable(data[1:limit]) {
			return vReply
		}
		return unsureIf(more && printable(data[1:]))
	}
	b = b[1:]
	switch t {
	case '+', '-':
		if !printable(b) || t == '-' && len(b) == 0 {
			return vNone
		}
		return vReply
	case '$', '=', '!', '*', '%', '~', '>', '|':
		n, ok := atoi(b)
		if !ok || n < -1 || n == -1 && t != '$' && t != '*' {
			return vNone
		}
		return vReply
	}
	if !scalarOK(t, b) || !printable(b) {
		return vNone
	}
	return vReply
}

// classifyInline: a known command name, then spaces and printable bytes
// up to LF; HTTP request lines are excluded.
func classifyInline(data []byte) verdict {
	i := bytes.IndexByte(data[:min(len(data), 1024)], '\n')
	line := data
	if i >= 0 {
		line = data[:i]
	}
	end := bytes.IndexAny(line, " \t\r")
	name := line
	if end >= 0 {
		name = line[:end]
	}
	if end < 0 && i < 0 {
		// No separator yet: a prefix of a known name may still follow.
		if len(data) < 32 && printable(data) {
			return vUnsure
		}
		return vNone
	}
	if !knownCommand(name) || !printable(bytes.TrimRight(line, "\r")) || bytes.Contains(line, []byte(" HTTP/")) {
		return vNone
	}
	if i < 0 {
		return unsureIf(len(data) < 1024)
	}
	return vRequest
}

func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
