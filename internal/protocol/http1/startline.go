package http1

import "bytes"

// role is what a direction carries.
type role uint8

const (
	roleUnknown role = iota
	roleReq
	roleResp
)

// verdict classifies the first bytes of a possible message.
type verdict uint8

const (
	vNo      verdict = iota // cannot start a message
	vMore                   // a valid prefix; more bytes are needed
	vRequest                // a request line
	vStatus                 // a status line
)

const (
	maxMethod = 24 // longest method accepted
	sniffLen  = 32 // bytes looked at before the start line is complete
)

// sniff looks at a bounded prefix of b, so a start line arriving in tiny
// writes costs nothing more to check.
func sniff(b []byte, rl role) verdict {
	if len(b) > sniffLen {
		b = b[:sniffLen]
	}
	v := vNo
	if rl != roleReq {
		v = sniffStatus(b)
	}
	if v == vNo && rl != roleResp {
		v = sniffRequest(b)
	}
	return v
}

func sniffStatus(b []byte) verdict {
	const prefix = "HTTP/1."
	n := min(len(b), len(prefix))
	if string(b[:n]) != prefix[:n] {
		return vNo
	}
	// "HTTP/1.x NNN" then a space or the line end.
	for i := n; i < len(b); i++ {
		c := b[i]
		var ok bool
		switch {
		case i == 7 || (i >= 9 && i <= 11):
			ok = isDigit(c)
		case i == 8:
			ok = c == ' '
		default:
			return ternary(c == ' ' || c == '\r' || c == '\n', vStatus, vNo)
		}
		if !ok {
			return vNo
		}
	}
	return vMore
}

func sniffRequest(b []byte) verdict {
	i := 0
	for i < len(b) && i <= maxMethod && isMethodChar(b[i]) {
		i++
	}
	switch {
	case i == len(b) && i <= maxMethod:
		return vMore
	case i == 0 || i > maxMethod || b[i] != ' ':
		return vNo
	case i+1 == len(b):
		return vMore
	case isTargetChar(b[i+1]):
		return vRequest
	}
	return vNo
}

// requestLine splits a request line (without its line end).
func requestLine(l []byte) (method, target []byte, minor byte, ok bool) {
	sp := bytes.IndexByte(l, ' ')
	if sp <= 0 || sp > maxMethod {
		return nil, nil, 0, false
	}
	method, rest := l[:sp], l[sp+1:]
	for _, c := range method {
		if !isMethodChar(c) {
			return nil, nil, 0, false
		}
	}
	sp = bytes.LastIndexByte(rest, ' ')
	if sp <= 0 {
		return nil, nil, 0, false
	}
	target, version := rest[:sp], rest[sp+1:]
	for _, c := range target {
		if !isTargetChar(c) {
			return nil, nil, 0, false
		}
	}
	minor, ok = httpVersion(version)
	return method, target, minor, ok
}

// statusLine parses "HTTP/1.x NNN reason" (without its line end).
func statusLine(l []byte) (status int, minor byte, ok bool) {
	if len(l) < 12 || (len(l) > 12 && l[12] != ' ') || l[8] != ' ' {
		return 0, 0, false
	}
	if minor, ok = httpVersion(l[:8]); !ok {
		return 0, 0, false
	}
	for _, c := range l[9:12] {
		if !isDigit(c) {
			return 0, 0, false
		}
		status = status*10 + int(c-'0')
	}
	return status, minor, status >= 100
}

func httpVersion(v []byte) (byte, bool) {
	if len(v) != 8 || string(v[:7]) != "HTTP/1." || !isDigit(v[7]) {
		return 0, false
	}
	return v[7], true
}

var versions = [10]string{"1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "1.9"}

func versionString(minor byte) string {
	if minor < '0' || minor > '9' {
		return ""
	}
	return versions[minor-'0']
}

// knownMethod returns a constant for common methods so they cost no
// allocation.
func knownMethod(m []byte) (string, bool) {
	switch string(m) {
	case "GET":
		return "GET", true
	case "POST":
		return "POST", true
	case "PUT":
		return "PUT", true
	case "DELETE":
		return "DELETE", true
	case "HEAD":
		return "HEAD", true
	case "OPTIONS":
		return "OPTIONS", true
	case "PATCH":
		return "PATCH", true
	case "CONNECT":
		return "CONNECT", true
	case "TRACE":
		return "TRACE", true
	}
	return "", false
}

// Methods are uppercase tokens in practice; accepting only those keeps
// resynchronisation from taking body text for a request line.
func isMethodChar(c byte) bool { return (c >= 'A' && c <= 'Z') || c == '-' || c == '_' }

func isTargetChar(c byte) bool { return c > ' ' && c != 0x7f }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// looksTLS reports a TLS record header (handshake or alert, version 3.x).
func looksTLS(b []byte) bool {
	return len(b) >= 3 && (b[0] == 0x16 || b[0] == 0x15) && b[1] == 3 && b[2] <= 4
}

func isHTTP2Preface(b []byte) bool { return bytes.HasPrefix(b, []byte("PRI * HTTP/2")) }

func ternary[T any](c bool, a, b T) T {
	if c {
		return a
	}
	return b
}
