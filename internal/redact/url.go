package redact

import (
	"net/url"
	"strings"
)

// rewriter builds a copy of src with some spans replaced, lazily: nothing
// is copied until the first replacement. Spans must come in order.
type rewriter struct {
	src  string
	out  []byte
	last int
	n    int
}

func (w *rewriter) replace(start, end int, with string) {
	if w.out == nil { // sized for the common case, one replacement: no regrowth
		w.out = make([]byte, 0, len(w.src)+len(with))
	}
	w.out = append(w.out, w.src[w.last:start]...)
	w.out = append(w.out, with...)
	w.last = end
	w.n++
}

func (w *rewriter) String() string {
	if w.n == 0 {
		return w.src
	}
	return string(append(w.out, w.src[w.last:]...))
}

// URL redacts a full URL ("https://u:p@host/path?q#f"), a request target
// ("/path?q") or a bare query ("a=1&b=2"). Credentials in the userinfo
// become "REDACTED" (OpenTelemetry's convention; brackets are not allowed
// there), query parameters go through the query rules, the path and
// unmatched values through the value patterns. The fragment is redacted
// like a request target or a bare query. Everything else is kept byte for
// byte.
func (r *Redactor) URL(raw string) string {
	w := rewriter{src: raw}
	end := len(raw)
	if i := strings.IndexByte(raw, '#'); i >= 0 {
		end = i
	}
	pathEnd := end
	if i := strings.IndexByte(raw[:end], '?'); i >= 0 {
		pathEnd = i
	} else if bareQuery(raw[:end]) {
		pathEnd = -1
	}
	plain := r.plain(raw[:end])
	if pathEnd >= 0 {
		pathStart := r.authority(&w, raw[:pathEnd])
		if !plain {
			w.sub(pathStart, pathEnd, r.path)
		}
	}
	if pathEnd < end {
		w.sub(pathEnd+1, end, func(q string) string { return r.redactQuery(q, plain) })
	}
	if end < len(raw) {
		// SPA routes ("#/cb?code=x") and OAuth ("#access_token=x") put
		// queries in the fragment.
		w.sub(end+1, len(raw), r.URL)
	}
	return w.String()
}

// bareQuery reports whether s (no '?' in it) looks like "a=1&b=2" rather
// than a path: it has a '=' before any '/' and no scheme.
func bareQuery(s string) bool {
	eq := strings.IndexByte(s, '=')
	if eq <= 0 || strings.Contains(s, "://") {
		return false
	}
	slash := strings.IndexByte(s, '/')
	return slash < 0 || eq < slash
}

// sub replaces src[start:end] with f of it when f changed it.
func (w *rewriter) sub(start, end int, f func(string) string) {
	if start > end {
		return
	}
	if v := f(w.src[start:end]); v != w.src[start:end] {
		w.replace(start, end, v)
	}
}

// authority redacts the userinfo of "scheme://userinfo@host" or
// "//userinfo@host" at the start of s and returns where the path begins.
func (r *Redactor) authority(w *rewriter, s string) int {
	i := 0
	// A request target ("/x") cannot start with a scheme: skip the search.
	if s != "" && s[0] != '/' {
		if c := strings.Index(s, "://"); c > 0 && validScheme(s[:c]) {
			i = c + 1
		}
	}
	if !strings.HasPrefix(s[i:], "//") {
		return i
	}
	i += 2
	end := len(s)
	if j := strings.IndexByte(s[i:], '/'); j >= 0 {
		end = i + j
	}
	at := strings.LastIndexByte(s[i:end], '@')
	if at <= 0 || r.userinfo == nil {
		return end
	}
	repl := "REDACTED"
	if strings.Contains(s[i:i+at], ":") {
		repl = "REDACTED:REDACTED"
	}
	if s[i:i+at] != repl {
		w.replace(i, i+at, repl)
		r.userinfo.add(1)
	}
	return end
}

func validScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.':
			if i == 0 {
				return false
			}
		default:
			return false
		}
	}
	return s != ""
}

// path applies the value patterns to a path (or fragment). Escaped
// segments are decoded first so that an encoded secret is found too; a
// segment that changed is escaped again, keeping Placeholder readable.
func (r *Redactor) path(p string) string {
	if !strings.Contains(p, "%") {
		if v := r.Text(p); v != p {
			return escape(v, "/")
		}
		return p
	}
	w := rewriter{src: p}
	for start := 0; start <= len(p); {
		end := strings.IndexByte(p[start:], '/')
		if end < 0 {
			end = len(p)
		} else {
			end += start
		}
		seg := p[start:end]
		dec, err := url.PathUnescape(seg)
		if err != nil {
			dec = seg
		}
		if v := r.Text(dec); v != dec {
			w.replace(start, end, escape(v, ""))
		}
		start = end + 1
	}
	return w.String()
}

// Query redacts a raw query string ("a=1&token=x"): parameters matching a
// query rule have their value replaced (the name and '=' are kept) or are
// removed with their '&'; other names and values go through the value
// patterns. Names are matched after decoding ("api%5Fkey" is "api_key").
// Empty values are kept: there is nothing to hide.
func (r *Redactor) Query(q string) string { return r.redactQuery(q, r.plain(q)) }

// plain reports whether the value patterns leave every part of s as it
// is, decoded or not: there are none configured, the built-in ones'
// pre-check finds nothing in s (nor in any part of it), and nothing in s
// is escaped. Then only the query rules can change a URL.
func (r *Redactor) plain(s string) bool {
	return len(r.user) == 0 && !hasQueryEscape(s) && scan(s) == 0
}

// redactQuery is Query; plain is r.plain(q), or of a text q is part of.
func (r *Redactor) redactQuery(q string, plain bool) string {
	w := rewriter{src: q}
	kept := false
	for start := 0; start <= len(q); {
		end := strings.IndexByte(q[start:], '&')
		next := -1
		if end < 0 {
			end = len(q)
		} else {
			end += start
			next = end + 1
		}
		r.param(&w, start, end, next, &kept, plain)
		if next < 0 {
			break
		}
		start = next
	}
	return w.String()
}

// param handles q[start:end]; next is where the following parameter starts
// (-1 for the last one); kept says whether an earlier parameter was kept,
// which decides which '&' a dropped parameter takes with it; plain, that
// the value patterns change nothing in q.
func (r *Redactor) param(w *rewriter, start, end, next int, kept *bool, plain bool) {
	pair := w.src[start:end]
	name, value, hasValue := strings.Cut(pair, "=")
	dname := unescapeQuery(name)
	f := r.queryRule(dname)
	switch {
	case f != nil && f.action == ActionDrop:
		f.add(1)
		switch {
		case *kept:
			w.replace(start-1, end, "")
		case next >= 0:
			w.replace(start, next, "")
		default:
			w.replace(start, end, "")
		}
		return
	case f != nil && f.action == ActionRedact:
		if value != "" {
			f.add(1)
			w.replace(start+len(name)+1, end, Placeholder)
		}
	case plain: // nothing for the value patterns in the name or the value
	default:
		if v := r.queryText(name, dname, ""); v != name {
			w.replace(start, start+len(name), v)
		}
		if hasValue {
			if v := r.queryText(value, unescapeQuery(value), "="); v != value {
				w.replace(start+len(name)+1, end, v)
			}
		}
	}
	*kept = true
}

// queryRule is r.query.match(name), remembered for short names (query
// parameter names repeat as much as attribute keys do).
func (r *Redactor) queryRule(name string) *fieldRule {
	if f, ok := r.queryRules.get(name); ok {
		return f
	}
	f := r.query.match(name)
	if len(name) <= maxCachedName {
		f = r.queryRules.put(name, f)
	}
	return f
}

// maxCachedName bounds the length of a cached query parameter name: they
// come from traffic, and a cache of long ones would hold a lot.
const maxCachedName = 64

// queryText applies the value patterns to a query component s, decoded
// as dec, and escapes it again when it changed.
func (r *Redactor) queryText(s, dec, keep string) string {
	if v := r.Text(dec); v != dec {
		return escape(v, keep)
	}
	return s
}

func unescapeQuery(s string) string {
	if !hasQueryEscape(s) {
		return s
	}
	if dec, err := url.QueryUnescape(s); err == nil {
		return dec
	}
	return s
}

// hasQueryEscape is strings.ContainsAny(s, "%+") without its set-up cost,
// which showed on the short components of every query.
func hasQueryEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' || s[i] == '+' {
			return true
		}
	}
	return false
}

// escape percent-encodes the bytes of s that could change the structure of
// a URL component or that net/url refuses, except the bytes in keep. '[' and
// ']' are kept so that Placeholder stays readable.
func escape(s, keep string) string {
	const hex = "0123456789ABCDEF"
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if safe(c) || strings.IndexByte(keep, c) >= 0 {
			if b != nil {
				b = append(b, c)
			}
			continue
		}
		if b == nil {
			b = append(make([]byte, 0, len(s)+8), s[:i]...)
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	if b == nil {
		return s
	}
	return string(b)
}

func safe(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$'()*,;:@[]", c) >= 0
}
