package datagram

import (
	"time"
	"unicode/utf8"
)

// MaxSize is the largest datagram Parse accepts, in bytes.
const MaxSize = 8192

// maxDuration rejects absurd durations: a sender bug, not a slow call.
const maxDuration = 24 * time.Hour

// Datagram is one parsed datagram.
type Datagram struct {
	Version  int           // 0 or 1
	Method   string        // upper case
	Scheme   string        // "http"/"https" when the sender gave one (v0 host with scheme, v1 URL), else ""
	Host     string        // host[:port] without scheme, lower case
	Path     string        // path without the query, always starts with "/" ("/" when empty)
	Query    string        // raw query without "?", "" when none
	Duration time.Duration // from the milliseconds, rounded to the nanosecond
}

// maxFields is one more than the most fields a version has, so a datagram
// with too many fields is told apart without storing them all.
const maxFields = 6

// Parse parses one datagram. It never panics, whatever the bytes. Every
// error it returns is an *Error.
func Parse(b []byte) (Datagram, error) {
	if len(b) > MaxSize {
		return Datagram{}, errorf(ReasonTooLong, "datagram is %d bytes, more than %d", len(b), MaxSize)
	}
	b = trim(b)
	if len(b) == 0 {
		return Datagram{}, errorf(ReasonEmpty, "datagram is empty")
	}
	var tabs separators
	err := scan(b, &tabs)
	if err != nil {
		return Datagram{}, err
	}
	// One conversion; every field below is a sub-string of s.
	s := string(b)
	var f [maxFields]string
	n := split(s, &tabs, &f)

	var d Datagram
	want := 0
	switch f[0] {
	case "0":
		d.Version, want = 0, 5
	case "1":
		d.Version, want = 1, 4
	default:
		return Datagram{}, errorf(ReasonUnknownVersion, "datagram version %s is unknown (known: 0, 1)", quote(f[0]))
	}
	if n != want {
		return Datagram{}, errorf(ReasonFieldCount, "datagram version %d has %d fields, want %d", d.Version, n, want)
	}
	if d.Method, err = parseMethod(f[1]); err != nil {
		return Datagram{}, err
	}
	var ms string
	if d.Version == 0 {
		if d.Scheme, d.Host, err = parseHostField(f[2]); err != nil {
			return Datagram{}, err
		}
		if d.Path, d.Query, err = parsePathField(f[3], ReasonPath); err != nil {
			return Datagram{}, err
		}
		ms = f[4]
	} else {
		if d.Scheme, d.Host, d.Path, d.Query, err = parseURL(f[2]); err != nil {
			return Datagram{}, err
		}
		ms = f[3]
	}
	if d.Duration, err = parseMillis(ms); err != nil {
		return Datagram{}, err
	}
	return d, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// trim drops the line feed (or CRLF, or none) and any white space around
// the record: it carries no information and senders differ.
func trim(b []byte) []byte {
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	return b
}

// Byte classes for scan; 0 is a plain printable ASCII byte.
const (
	clsTab = 1 + iota
	clsControl
	clsHigh
)

var byteClass = func() (t [256]uint8) {
	for c := 0; c < 0x20; c++ {
		t[c] = clsControl
	}
	t['\t'] = clsTab
	t[0x7f] = clsControl
	for c := utf8.RuneSelf; c < 256; c++ {
		t[c] = clsHigh
	}
	return t
}()

// separators records where the tabs of a datagram are: the first
// maxFields-1 of them, and how many there are.
type separators struct {
	n   int
	pos [maxFields - 1]int
}

// scan rejects invalid UTF-8 and control characters other than the tab
// separator (a CR or LF inside the record is one), and records the tabs.
// Runes are decoded only when a non-ASCII byte is present.
func scan(b []byte, tabs *separators) error {
	ascii := true
	for i, c := range b {
		switch byteClass[c] {
		case 0:
		case clsTab:
			if tabs.n < len(tabs.pos) {
				tabs.pos[tabs.n] = i
			}
			tabs.n++
		case clsControl:
			return errorf(ReasonNotUTF8, "datagram has control character %q at byte %d: %s", c, i, quoteBytes(b))
		default:
			ascii = false
		}
	}
	if ascii {
		return nil
	}
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return errorf(ReasonNotUTF8, "datagram is not valid UTF-8 at byte %d: %s", i, quoteBytes(b))
		}
		if r >= 0x80 && r <= 0x9f { // C1 controls
			return errorf(ReasonNotUTF8, "datagram has control character %U at byte %d: %s", r, i, quoteBytes(b))
		}
		i += size
	}
	return nil
}

// split cuts s into fields and returns how many there are; only the first
// len(f) are stored. With a tab in the datagram, tabs separate fields and
// spaces around a field are dropped; without one, runs of spaces separate
// fields. s has no leading or trailing white space.
func split(s string, tabs *separators, f *[maxFields]string) int {
	if tabs.n > 0 {
		start := 0
		for i := 0; i < tabs.n && i < len(tabs.pos); i++ {
			f[i] = trimSpaces(s[start:tabs.pos[i]])
			start = tabs.pos[i] + 1
		}
		if tabs.n < len(f) {
			f[tabs.n] = trimSpaces(s[start:])
		}
		return tabs.n + 1
	}
	n := 0
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] != ' ' {
			j++
		}
		if n < len(f) {
			f[n] = s[i:j]
		}
		n++
		for j < len(s) && s[j] == ' ' {
			j++
		}
		i = j
	}
	return n
}

func trimSpaces(s string) string {
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}
