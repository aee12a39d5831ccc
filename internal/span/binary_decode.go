package span

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
)

// DecodeBinary reads what AppendBinary wrote into s, replacing all of s.
func DecodeBinary(b []byte, s *Span) error {
	return DecodeBinaryString(string(b), s)
}

// DecodeBinaryString is DecodeBinary without the copy: the span's strings
// point into data, which keeps all of data alive while any of them is.
func DecodeBinaryString(data string, s *Span) error {
	*s = Span{}
	r := binReader{s: data}
	if v := r.byte(); v != binaryVersion {
		if r.err != nil {
			return fmt.Errorf("decoding a binary span: %w", r.err)
		}
		return fmt.Errorf("decoding a binary span: unknown version %d", v)
	}
	r.span(s)
	if r.err == nil && len(r.s) != 0 {
		r.err = fmt.Errorf("%d bytes left over", len(r.s))
	}
	if r.err != nil {
		return fmt.Errorf("decoding binary span %q: %w", s.ID, r.err)
	}
	return nil
}

// optional holds a span's optional parts, allocated together: one
// allocation instead of one per part.
type optional struct {
	parent     Parent
	target     ServiceTarget
	thread     Thread
	container  Container
	kubernetes Kubernetes
	http       HTTP
	db         DB
	dns        DNS
	storedAt   time.Time
}

func (r *binReader) span(s *Span) {
	flags := r.uvarint()
	var opt *optional
	if flags&(hasParent|hasTarget|hasThread|hasContainer|hasKubernetes|hasHTTP|hasDB|hasDNS|hasStoredAt) != 0 {
		opt = new(optional)
	}
	s.ID = r.str()
	s.Timestamp = r.time()
	s.Trace.ID = r.str()
	if flags&hasParent != 0 {
		s.Parent = &opt.parent
		s.Parent.ID = r.str()
	}
	in := &s.Span
	in.ID, in.Kind, in.Name, in.Type, in.Subtype, in.Action = r.str(), r.str(), r.str(), r.str(), r.str(), r.str()
	in.Duration.US = r.varint()
	s.Service.Name, s.Service.Node.Name = r.str(), r.str()
	if flags&hasTarget != 0 {
		s.Service.Target = &opt.target
		s.Service.Target.Name, s.Service.Target.Type = r.str(), r.str()
	}
	s.Process.PID = int(r.varint())
	s.Process.Executable, s.Process.Name = r.str(), r.str()
	if flags&hasThread != 0 {
		s.Process.Thread = &opt.thread
		s.Process.Thread.ID = int(r.varint())
	}
	if flags&hasContainer != 0 {
		s.Container = &opt.container
		s.Container.ID = r.str()
	}
	if flags&hasKubernetes != 0 {
		s.Kubernetes = &opt.kubernetes
		s.Kubernetes.Pod.UID, s.Kubernetes.Container.Name = r.str(), r.str()
	}
	r.endpoint(&s.Source)
	r.endpoint(&s.Destination)
	if flags&hasHTTP != 0 {
		s.HTTP = &opt.http
		r.http(s.HTTP)
	}
	if flags&hasDB != 0 {
		d := &opt.db
		s.DB = d
		d.Type, d.Instance, d.User, d.Statement, d.Operation = r.str(), r.str(), r.str(), r.str(), r.str()
		d.RowsAffected = r.varint()
		d.ErrorCode, d.Error = r.str(), r.str()
	}
	if flags&hasDNS != 0 {
		d := &opt.dns
		s.DNS = d
		d.ID = int(r.varint())
		d.QuestionName, d.QuestionType, d.ResponseCode = r.str(), r.str(), r.str()
		d.Answers = int(r.varint())
		d.Transport = r.str()
		d.Truncated = flags&flagDNSTruncated != 0
	}
	s.Event.Outcome = r.str()
	if flags&hasOTel != 0 {
		s.OTel = r.otel()
	}
	r.vigil(&s.Vigil, flags, opt)
}

func (r *binReader) endpoint(e *Endpoint) {
	e.IP, e.Domain = r.str(), r.str()
	e.Port = int(r.varint())
}

func (r *binReader) http(h *HTTP) {
	q := &h.Request
	h.Version, q.Method, q.Scheme, q.Path, q.Host = r.str(), r.str(), r.str(), r.str(), r.str()
	q.Bytes, q.BodyBytes = r.varint(), r.varint()
	q.TraceState = r.str()
	h.Response.StatusCode = int(r.varint())
	h.Response.Bytes, h.Response.BodyBytes = r.varint(), r.varint()
}

func (r *binReader) vigil(v *Vigil, flags uint64, opt *optional) {
	v.Source, v.Reason, v.Format, v.ConnID, v.ParentHow = r.str(), r.str(), r.str(), r.str(), r.str()
	v.Incomplete = flags&flagIncomplete != 0
	v.TraceFromTraffic = flags&flagTraceFromTraffic != 0
	if flags&hasConfidence != 0 {
		v.ParentConfidence = math.Float64frombits(r.uint64())
	}
	v.EndThread = int(r.varint())
	if n := r.uvarint(); n > 0 {
		if n > uint64(len(r.s)) { // each token takes a byte at least
			r.fail(errors.New("token count beyond the data"))
			return
		}
		v.Tokens = make([]string, n)
		for i := range v.Tokens {
			v.Tokens[i] = r.str()
		}
	}
	if flags&hasStoredAt != 0 {
		opt.storedAt = r.time()
		v.StoredAt = &opt.storedAt
	}
}

func (r *binReader) time() time.Time {
	switch r.byte() {
	case timeUnix:
		sec := r.varint()
		ns := r.uvarint()
		if ns >= 1e9 {
			r.fail(errors.New("nanoseconds out of range"))
			return time.Time{}
		}
		return time.Unix(sec, int64(ns)).UTC()
	case timeText:
		text := r.str()
		var t time.Time
		if r.err == nil {
			if err := jsonv2.Unmarshal([]byte(`"`+text+`"`), &t); err != nil {
				r.fail(fmt.Errorf("decoding a time: %w", err))
			}
		}
		return t
	default:
		r.fail(errors.New("unknown kind of time"))
		return time.Time{}
	}
}

// binReader reads from a string; the first error stops it (every later
// read returns zero values).
type binReader struct {
	s   string
	err error
}

func (r *binReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.s = ""
}

func (r *binReader) byte() byte {
	if len(r.s) == 0 {
		r.fail(errors.New("truncated"))
		return 0
	}
	c := r.s[0]
	r.s = r.s[1:]
	return c
}

func (r *binReader) uvarint() uint64 {
	x, n := Uvarint(r.s)
	if n <= 0 {
		r.fail(errors.New("truncated or overlong varint"))
		return 0
	}
	r.s = r.s[n:]
	return x
}

// Uvarint is binary.Uvarint over a string (no conversion to bytes): the
// value and the bytes read, or n <= 0 for a truncated or overlong varint.
func Uvarint(s string) (x uint64, n int) {
	var shift uint
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		c := s[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				return 0, -(i + 1)
			}
			return x | uint64(c)<<shift, i + 1
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	return 0, 0
}

func (r *binReader) varint() int64 {
	ux := r.uvarint()
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x
}

func (r *binReader) uint64() uint64 {
	if len(r.s) < 8 {
		r.fail(errors.New("truncated"))
		return 0
	}
	v := binary.LittleEndian.Uint64([]byte(r.s[:8]))
	r.s = r.s[8:]
	return v
}

func (r *binReader) str() string {
	n := r.uvarint()
	if n > uint64(len(r.s)) {
		r.fail(errors.New("truncated string"))
		return ""
	}
	s := r.s[:n]
	r.s = r.s[n:]
	return s
}
