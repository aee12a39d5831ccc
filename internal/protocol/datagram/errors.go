package datagram

import "fmt"

// Reason is why a datagram was rejected. Its values are short snake_case
// words, usable as a metric label.
type Reason string

// Rejection reasons.
const (
	ReasonEmpty          Reason = "empty"           // no bytes, or only white space
	ReasonTooLong        Reason = "too_long"        // more than MaxSize bytes
	ReasonNotUTF8        Reason = "not_utf8"        // invalid UTF-8 or a control character
	ReasonUnknownVersion Reason = "unknown_version" // first field is not a known version
	ReasonFieldCount     Reason = "field_count"     // wrong number of fields for the version
	ReasonMethod         Reason = "method"          // method is not an HTTP token
	ReasonHost           Reason = "host"            // invalid scheme, host or port
	ReasonPath           Reason = "path"            // v0 path does not start with "/" or "?", or has a space
	ReasonURL            Reason = "url"             // v1 URL has no http(s) scheme, or a space in its path
	ReasonDuration       Reason = "duration"        // not a number, negative, or above 24h
)

// Reasons lists every Reason Parse can return, so that a caller can
// register one counter per reason up front.
func Reasons() []Reason {
	return []Reason{
		ReasonEmpty, ReasonTooLong, ReasonNotUTF8, ReasonUnknownVersion,
		ReasonFieldCount, ReasonMethod, ReasonHost, ReasonPath, ReasonURL,
		ReasonDuration,
	}
}

// Error is the only error type Parse returns.
type Error struct {
	Reason Reason
	msg    string
}

func (e *Error) Error() string { return e.msg }

func errorf(r Reason, format string, args ...any) *Error {
	return &Error{Reason: r, msg: fmt.Sprintf(format, args...)}
}

// maxQuote bounds how much of the offending input an error message
// carries: enough to recognise it, not enough to flood a log.
const maxQuote = 64

// quote returns s as a Go string literal, cut to maxQuote bytes, so that
// binary garbage is safe to log.
func quote(s string) string {
	if len(s) <= maxQuote {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q...", s[:maxQuote])
}

// quoteBytes is quote without copying more than maxQuote+1 bytes.
func quoteBytes(b []byte) string {
	return quote(string(b[:min(len(b), maxQuote+1)]))
}
