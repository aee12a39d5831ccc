package datagram

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// tchar marks the bytes RFC 9110 allows in a token (a method).
var tchar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// knownMethods are interned: returning a constant avoids an allocation for
// a lower-case sender and keeps the datagram's bytes from being retained
// by the method alone.
var knownMethods = [...]string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "CONNECT", "TRACE"}

func parseMethod(s string) (string, error) {
	if s == "" {
		return "", errorf(ReasonMethod, "datagram method is empty")
	}
	lower := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !tchar[c] {
			return "", errorf(ReasonMethod, "datagram method %s is not an HTTP token", quote(s))
		}
		if 'a' <= c && c <= 'z' {
			lower = true
		}
	}
	for _, m := range knownMethods {
		if len(m) == len(s) && (m == s || lower && strings.EqualFold(m, s)) {
			return m, nil
		}
	}
	if lower {
		return strings.ToUpper(s), nil
	}
	return s, nil
}

// parseScheme accepts http and https in any case; anything else is not an
// HTTP call, so reason r (which field was wrong) is returned.
func parseScheme(sch string, r Reason, field string) (string, error) {
	switch {
	case strings.EqualFold(sch, "http"):
		return "http", nil
	case strings.EqualFold(sch, "https"):
		return "https", nil
	}
	what := "host"
	if r == ReasonURL {
		what = "URL"
	}
	return "", errorf(r, "datagram %s %s has scheme %s, want http or https", what, quote(field), quote(sch))
}

// parseHostField parses a v0 host: host[:port], optionally with a scheme,
// userinfo and a trailing "/" (senders that log a base URL).
func parseHostField(s string) (scheme, host string, err error) {
	rest := s
	if i := strings.Index(s, "://"); i >= 0 {
		if scheme, err = parseScheme(s[:i], ReasonHost, s); err != nil {
			return "", "", err
		}
		rest = s[i+3:]
	}
	host, err = parseAuthority(strings.TrimSuffix(rest, "/"), s)
	return scheme, host, err
}

// parseAuthority validates [userinfo@]host[:port] and returns host[:port]
// in lower case. Userinfo is dropped: it may hold credentials. field is
// the whole field, for the error message.
func parseAuthority(a, field string) (string, error) {
	if at := strings.LastIndexByte(a, '@'); at >= 0 {
		a = a[at+1:]
	}
	bad := func(why string) error {
		return errorf(ReasonHost, "datagram host in %s %s", quote(field), why)
	}
	if a == "" {
		return "", bad("is empty")
	}
	fold := false // an upper-case or non-ASCII letter: lower-case the result
	var port string
	if a[0] == '[' { // IPv6 literal, maybe with a zone
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return "", bad("has no closing ]")
		}
		lit := a[1:end]
		if !strings.Contains(lit, ":") {
			return "", bad("is not an IPv6 literal")
		}
		for i := 0; i < len(lit); i++ {
			c := lit[i]
			if c >= utf8.RuneSelf || !isHostByte(c) && c != ':' && c != '%' {
				return "", bad("has an invalid IPv6 literal")
			}
			fold = fold || 'A' <= c && c <= 'Z'
		}
		port = a[end+1:]
	} else {
		name := a
		if i := strings.IndexByte(a, ':'); i >= 0 {
			name, port = a[:i], a[i:]
		}
		if name == "" {
			return "", bad("has no name")
		}
		for i := 0; i < len(name); i++ {
			c := name[i]
			if !isHostByte(c) {
				return "", bad("has an invalid character")
			}
			fold = fold || 'A' <= c && c <= 'Z' || c >= utf8.RuneSelf
		}
	}
	if port != "" && !validPort(port) {
		return "", bad("has an invalid port")
	}
	if fold {
		return strings.ToLower(a), nil
	}
	return a, nil
}

// isHostByte accepts the unreserved characters of RFC 3986 and, for
// internationalised names sent unencoded, any non-ASCII byte (the
// datagram is already known to be valid UTF-8).
func isHostByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~' || c >= utf8.RuneSelf
}

// validPort accepts ":" and 1 to 5 digits up to 65535.
func validPort(p string) bool {
	if len(p) < 2 || len(p) > 6 || p[0] != ':' {
		return false
	}
	n := 0
	for i := 1; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
		n = n*10 + int(p[i]-'0')
	}
	return n <= 65535
}

// parsePathField splits path?query#fragment, dropping the fragment (never
// sent on the wire). An empty path is "/"; a path must otherwise start
// with "/" (a relative path would have to be guessed at). A space is
// rejected: it cannot be on the wire, and a space-separated datagram could
// not carry it, so both separators accept the same paths. r says which
// field was wrong.
func parsePathField(s string, r Reason) (path, query string, err error) {
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	if strings.IndexByte(s, ' ') >= 0 {
		return "", "", errorf(r, "datagram path %s contains a space", quote(s))
	}
	path = s
	if i := strings.IndexByte(s, '?'); i >= 0 {
		path, query = s[:i], s[i+1:]
	}
	if path == "" {
		return "/", query, nil
	}
	if path[0] != '/' {
		return "", "", errorf(ReasonPath, "datagram path %s does not start with \"/\"", quote(s))
	}
	return path, query, nil
}

// parseURL parses a v1 absolute http(s) URL. Without a scheme the URL is
// rejected rather than guessed to be host/path or a relative path.
func parseURL(s string) (scheme, host, path, query string, err error) {
	i := strings.Index(s, "://")
	if i < 0 {
		return "", "", "", "", errorf(ReasonURL, "datagram URL %s has no scheme, want http:// or https://", quote(s))
	}
	if scheme, err = parseScheme(s[:i], ReasonURL, s); err != nil {
		return "", "", "", "", err
	}
	rest := s[i+3:]
	end := 0
	for end < len(rest) && rest[end] != '/' && rest[end] != '?' && rest[end] != '#' {
		end++
	}
	if host, err = parseAuthority(rest[:end], s); err != nil {
		return "", "", "", "", err
	}
	// rest[end:] is empty or starts with "/", "?" or "#": always valid.
	path, query, err = parsePathField(rest[end:], ReasonURL)
	return scheme, host, path, query, err
}

const maxMillis = int64(maxDuration / time.Millisecond)

// parseMillis converts decimal milliseconds to a Duration. The common
// "digits[.digits]" form is converted exactly, rounding half up at the
// nanosecond; other forms (exponent, sign) go through strconv.ParseFloat.
func parseMillis(s string) (time.Duration, error) {
	if s == "" {
		return 0, errorf(ReasonDuration, "datagram duration is empty")
	}
	var ms, frac int64
	i, intDigits, fracDigits := 0, 0, 0
	for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		ms = ms*10 + int64(s[i]-'0')
		if ms > maxMillis {
			return 0, tooLong(s)
		}
		intDigits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
			if fracDigits < 7 { // 6 digits are nanoseconds, the 7th rounds
				frac = frac*10 + int64(s[i]-'0')
				fracDigits++
			}
		}
	}
	if i < len(s) || intDigits+fracDigits == 0 {
		return parseFloatMillis(s)
	}
	for ; fracDigits < 7; fracDigits++ {
		frac *= 10
	}
	d := time.Duration(ms*int64(time.Millisecond) + (frac+5)/10)
	if d > maxDuration {
		return 0, tooLong(s)
	}
	return d, nil
}

func parseFloatMillis(s string) (time.Duration, error) {
	// Only decimal syntax: ParseFloat would also take "NaN", "Inf", hex
	// floats and underscores, none of which a sender means as a duration.
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
			return 0, notNumber(s)
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	switch {
	case math.IsInf(v, 1) || (err == nil && v > float64(maxMillis)):
		return 0, tooLong(s)
	case v < 0: // also -Inf; a syntax error leaves v at 0
		return 0, errorf(ReasonDuration, "datagram duration %s is negative", quote(s))
	case err != nil || math.IsNaN(v):
		return 0, notNumber(s)
	}
	return time.Duration(math.Round(v * float64(time.Millisecond))), nil
}

func notNumber(s string) error {
	return errorf(ReasonDuration, "datagram duration %s is not a decimal number of milliseconds", quote(s))
}

func tooLong(s string) error {
	return errorf(ReasonDuration, "datagram duration %s ms is more than 24h", quote(s))
}
