package agent

import "strings"

// idSegment replaces a path segment that looks like an identifier in a
// span's name.
const idSegment = "{id}"

// routeOf is the low-cardinality form of an HTTP path for a span's name:
// the query is cut and segments that look like identifiers become {id}, so
// that GET /users/136022 and GET /users/7 are one operation in lists and
// summaries ("GET /users/{id}"). The path itself stays in url.path.
func routeOf(target string) string { return string(appendRoute(nil, target)) }

// appendRoute appends routeOf(target) to dst without allocating.
func appendRoute(dst []byte, target string) []byte {
	path := pathOnly(target)
	for {
		seg, rest, more := strings.Cut(path, "/")
		if looksLikeID(seg) {
			dst = append(dst, idSegment...)
		} else {
			dst = append(dst, seg...)
		}
		if !more {
			return dst
		}
		dst = append(dst, '/')
		path = rest
	}
}

// name sets *dst to "METHOD route".
func (st *spanText) name(dst *string, method, target string) {
	from := st.mark()
	st.buf = append(st.buf, method...)
	st.buf = append(st.buf, ' ')
	st.buf = appendRoute(st.buf, target)
	st.set(dst, from)
}

// looksLikeID tells identifiers from words: all digits (42, 2026), a run
// of four digits or more (SKU-000123, 2026-11-23), hex of eight characters
// or more with a digit (UUIDs, hashes, object ids), or sixteen characters or
// more with a digit (random tokens). Short words with a digit stay (v1,
// oauth2, ipv6, x86_64).
func looksLikeID(seg string) bool {
	digits, run, maxRun, hex := 0, 0, 0, true
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
			run++
			maxRun = max(maxRun, run)
			continue
		case c >= 'a' && c <= 'f', c >= 'A' && c <= 'F', c == '-':
		default:
			hex = false
		}
		run = 0
	}
	switch {
	case digits == 0:
		return false
	case digits == len(seg), maxRun >= 4:
		return true
	case hex && len(seg) >= 8, len(seg) >= 16:
		return true
	}
	return false
}
