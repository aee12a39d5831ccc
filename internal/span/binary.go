package span

import (
	"encoding/binary"
	"math"
	"time"
	"unicode/utf8"
	"unsafe"
)

// The binary encoding is what the embedded store keeps of a span: the same
// information as the JSON document at a fraction of the cost to write and
// read (JSON decoding was most of the cost of reading a stored span).
// Decoding it gives exactly what decoding the JSON document would
// (TestBinaryMatchesJSON): strings are made valid UTF-8 as AppendJSON makes
// them, times keep JSON's zones, attribute values take JSON's types.
//
// Layout: a version byte, a varint of presence flags, then every field in
// the struct's order; strings are length-prefixed, integers zigzag varints.

const binaryVersion = 1

// Presence flags: optional parts and booleans.
const (
	hasParent = 1 << iota
	hasTarget
	hasThread
	hasContainer
	hasKubernetes
	hasHTTP
	hasDB
	hasDNS
	hasOTel
	hasStoredAt
	hasConfidence
	flagIncomplete
	flagTraceFromTraffic
	flagDNSTruncated
)

// AppendBinary appends the span's binary encoding to b.
func (s *Span) AppendBinary(b []byte) []byte { return s.appendBinary(b, nil) }

func (s *Span) appendBinary(b []byte, c *BinaryEncoder) []byte {
	b = append(b, binaryVersion)
	b = binary.AppendUvarint(b, s.binaryFlags())
	b = appendBinStr(b, s.ID)
	b = appendBinTime(b, s.Timestamp)
	b = appendBinStr(b, s.Trace.ID)
	if s.Parent != nil {
		b = appendBinStr(b, s.Parent.ID)
	}
	in := &s.Span
	b = appendBinStrs(b, in.ID, in.Kind, in.Name, in.Type, in.Subtype, in.Action)
	b = binary.AppendVarint(b, in.Duration.US)
	b = appendBinStrs(b, s.Service.Name, s.Service.Node.Name)
	if t := s.Service.Target; t != nil {
		b = appendBinStrs(b, t.Name, t.Type)
	}
	b = binary.AppendVarint(b, int64(s.Process.PID))
	b = appendBinStrs(b, s.Process.Executable, s.Process.Name)
	if s.Process.Thread != nil {
		b = binary.AppendVarint(b, int64(s.Process.Thread.ID))
	}
	if s.Container != nil {
		b = appendBinStr(b, s.Container.ID)
	}
	if k := s.Kubernetes; k != nil {
		b = appendBinStrs(b, k.Pod.UID, k.Container.Name)
	}
	b = appendBinEndpoint(b, &s.Source)
	b = appendBinEndpoint(b, &s.Destination)
	if h := s.HTTP; h != nil {
		b = appendBinHTTP(b, h)
	}
	if d := s.DB; d != nil {
		b = appendBinStrs(b, d.Type, d.Instance, d.User, d.Statement, d.Operation)
		b = binary.AppendVarint(b, d.RowsAffected)
		b = appendBinStrs(b, d.ErrorCode, d.Error)
	}
	if d := s.DNS; d != nil {
		b = binary.AppendVarint(b, int64(d.ID))
		b = appendBinStrs(b, d.QuestionName, d.QuestionType, d.ResponseCode)
		b = binary.AppendVarint(b, int64(d.Answers))
		b = appendBinStr(b, d.Transport)
	}
	b = appendBinStr(b, s.Event.Outcome)
	if s.OTel != nil {
		b = appendBinOTel(b, s.OTel, c)
	}
	return appendBinVigil(b, &s.Vigil)
}

func (s *Span) binaryFlags() uint64 {
	var f uint64
	set := func(cond bool, bit uint64) {
		if cond {
			f |= bit
		}
	}
	set(s.Parent != nil, hasParent)
	set(s.Service.Target != nil, hasTarget)
	set(s.Process.Thread != nil, hasThread)
	set(s.Container != nil, hasContainer)
	set(s.Kubernetes != nil, hasKubernetes)
	set(s.HTTP != nil, hasHTTP)
	set(s.DB != nil, hasDB)
	set(s.DNS != nil, hasDNS)
	set(s.OTel != nil, hasOTel)
	set(s.Vigil.StoredAt != nil, hasStoredAt)
	set(jsonFloat(s.Vigil.ParentConfidence) != 0, hasConfidence)
	set(s.Vigil.Incomplete, flagIncomplete)
	set(s.Vigil.TraceFromTraffic, flagTraceFromTraffic)
	set(s.DNS != nil && s.DNS.Truncated, flagDNSTruncated)
	return f
}

// jsonFloat is f as it comes back from JSON: NaN and infinities are written
// as null, which decodes to 0.
func jsonFloat(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

func appendBinEndpoint(b []byte, e *Endpoint) []byte {
	b = appendBinStrs(b, e.IP, e.Domain)
	return binary.AppendVarint(b, int64(e.Port))
}

func appendBinHTTP(b []byte, h *HTTP) []byte {
	r := &h.Request
	b = appendBinStrs(b, h.Version, r.Method, r.Scheme, r.Path, r.Host)
	b = binary.AppendVarint(b, r.Bytes)
	b = binary.AppendVarint(b, r.BodyBytes)
	b = appendBinStr(b, r.TraceState)
	b = binary.AppendVarint(b, int64(h.Response.StatusCode))
	b = binary.AppendVarint(b, h.Response.Bytes)
	return binary.AppendVarint(b, h.Response.BodyBytes)
}

func appendBinVigil(b []byte, v *Vigil) []byte {
	b = appendBinStrs(b, v.Source, v.Reason, v.Format, v.ConnID, v.ParentHow)
	if jsonFloat(v.ParentConfidence) != 0 {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v.ParentConfidence))
	}
	b = binary.AppendVarint(b, int64(v.EndThread))
	b = binary.AppendUvarint(b, uint64(len(v.Tokens)))
	for _, t := range v.Tokens {
		b = appendBinStr(b, t)
	}
	if v.StoredAt != nil {
		b = appendBinTime(b, *v.StoredAt)
	}
	return b
}

func appendBinStrs(b []byte, ss ...string) []byte {
	for _, s := range ss {
		b = appendBinStr(b, s)
	}
	return b
}

// appendBinStr appends a length-prefixed string, with each byte that is not
// valid UTF-8 replaced by U+FFFD as AppendJSON replaces it.
func appendBinStr(b []byte, s string) []byte {
	// Nearly every string is short and ASCII: a one-byte length, and
	// checking the copy a word at a time is cheaper than utf8.ValidString.
	// The source, not the copy, is checked: reading words just written
	// byte-wise stalls.
	if len(s) < 0x80 && isASCII(unsafe.Slice(unsafe.StringData(s), len(s))) {
		return append(append(b, byte(len(s))), s...)
	}
	return appendBinStrSlow(b, s)
}

func appendBinStrSlow(b []byte, s string) []byte {
	if utf8.ValidString(s) {
		return append(binary.AppendUvarint(b, uint64(len(s))), s...)
	}
	valid := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			valid = utf8.AppendRune(valid, utf8.RuneError)
		} else {
			valid = append(valid, s[i:i+size]...)
		}
		i += size
	}
	b = binary.AppendUvarint(b, uint64(len(valid)))
	return append(b, valid...)
}

// isASCII reads p a word at a time, the last word overlapping the one
// before rather than a byte loop for the rest (most strings are short).
func isASCII(p []byte) bool {
	n := len(p)
	switch {
	case n >= 8:
		acc := binary.LittleEndian.Uint64(p[n-8:])
		for ; len(p) > 8; p = p[8:] {
			acc |= binary.LittleEndian.Uint64(p)
		}
		return acc&0x8080808080808080 == 0
	case n >= 4:
		return (binary.LittleEndian.Uint32(p)|binary.LittleEndian.Uint32(p[n-4:]))&0x80808080 == 0
	}
	var acc byte
	for _, c := range p {
		acc |= c
	}
	return acc < 0x80
}

// Times in UTC within years 0-9999 (every stored time) are seconds and
// nanoseconds; any other is its JSON text, decoded as JSON decodes it so
// that its zone comes back the same.
const (
	timeUnix = 0
	timeText = 1
)

// The Unix seconds of years 0-9999 in UTC.
const (
	minUnixYear0    = -62167219200 // 0000-01-01T00:00:00Z
	maxUnixYear9999 = 253402300799 // 9999-12-31T23:59:59Z
)

func appendBinTime(b []byte, t time.Time) []byte {
	// Reading the offset looks the zone up, and the year is a date
	// computation: a UTC time needs neither, its seconds say it all.
	if sec := t.Unix(); sec >= minUnixYear0 && sec <= maxUnixYear9999 && isUTC(t) {
		b = append(b, timeUnix)
		b = binary.AppendVarint(b, sec)
		return binary.AppendUvarint(b, uint64(t.Nanosecond()))
	}
	b = append(b, timeText)
	var buf [64]byte
	return appendBinStr(b, string(appendTime(buf[:0], t)))
}

// isUTC reports whether t's offset is zero.
func isUTC(t time.Time) bool {
	if t.Location() == time.UTC {
		return true
	}
	_, off := t.Zone()
	return off == 0
}
