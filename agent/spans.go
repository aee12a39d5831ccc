package agent

import (
	"math/bits"
	"net/netip"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/internal/protocol/httpwire"
	"github.com/vigil-dev/vigil/internal/reassembly"
	"github.com/vigil-dev/vigil/internal/span"
)

// buildSpan makes the span of one exchange in s. Timing follows the
// syscalls' returns (only exits are observed): a server's span runs from
// the return of the read that brought the request's first bytes to the
// return of the write that sent the response's last bytes; a client's span
// from the return of its first request write to the return of the read of
// the response's last bytes.
func (t *tracker) buildSpan(s *span.Span, c *conn, x *httpwire.Exchange) *span.Span {
	start := x.RequestStart
	if x.RequestDir == reassembly.Ingress {
		start = x.RequestFirstEnd
	}
	parts := new(httpParts)
	t.baseSpan(s, c, frame{reqDir: x.RequestDir, start: start, end: x.ResponseEnd, reqEnd: x.RequestEnd,
		incomplete: x.Incomplete, reason: x.Reason, traceparent: x.Traceparent, thread: &parts.thread})
	t.text.name(&s.Span.Name, x.Method, x.Target)
	s.Span.Subtype = "http"
	parts.http = span.HTTP{
		Version: x.Version,
		Request: span.HTTPRequest{
			Method: x.Method, Path: x.Target, Host: x.Host,
			Bytes: x.RequestBytes, BodyBytes: x.RequestBodyBytes, TraceState: x.Tracestate,
		},
		Response: span.HTTPResponse{StatusCode: x.Status, Bytes: x.ResponseBytes, BodyBytes: x.ResponseBodyBytes},
	}
	s.HTTP = &parts.http
	s.Event.Outcome = outcome(s.Span.Kind, x.Status)
	t.setTokens(s, parts.tokens[:], x.Target)
	return s
}

// httpParts is what an HTTP span points to, allocated at once.
type httpParts struct {
	http   span.HTTP
	thread span.Thread
	tokens [2]string // most requests carry one or two ids
}

// frame is what every protocol's exchange tells of its span besides the
// protocol's own fields.
type frame struct {
	reqDir             reassembly.Direction
	start, end, reqEnd uint64
	incomplete         bool
	reason             string
	traceparent        string       // the request's W3C trace context, if any
	thread             *span.Thread // where process.thread goes; nil: allocated
}

// baseSpan fills in, in the zero span s, what every protocol's span of the
// connection shares: ids, kind (from the direction requests flowed),
// timing, endpoints, the process and the trace. When no response was seen
// the span ends with its request (reqEnd).
func (t *tracker) baseSpan(s *span.Span, c *conn, f frame) {
	kind := span.KindClient
	if f.reqDir == reassembly.Ingress {
		kind = span.KindServer
	}
	start, end := f.start, f.end
	if end < start {
		end = max(f.reqEnd, start)
	}
	ts := t.clock.wall(start)
	// s is zero: fields are set one by one, not by copying a whole span.
	s.Timestamp = ts
	s.Span.Kind, s.Span.Duration = kind, span.Micros{US: int64(end-start) / 1000}
	s.Service.Name, s.Service.Node.Name = c.proc.Service, t.node
	s.Process = span.Process{PID: c.proc.PID, Executable: c.proc.Executable, Name: c.proc.Name, Thread: threadOf(f.thread, c.lastTID[f.reqDir])}
	s.Event.Outcome = span.OutcomeUnknown
	s.Vigil.Source, s.Vigil.Incomplete, s.Vigil.Reason = span.SourceEBPF, f.incomplete, f.reason
	s.Vigil.ConnID, s.Vigil.EndThread = c.connID, int(c.lastTID[1-f.reqDir])
	if kind == span.KindServer {
		s.Span.Type = "request"
		s.Source, s.Destination = c.remoteEP, c.localEP
	} else {
		s.Span.Type = "external"
		s.Source, s.Destination = c.localEP, c.remoteEP
	}
	if c.proc.ContainerID != "" {
		s.Container = &span.Container{ID: c.proc.ContainerID}
	}
	if c.proc.PodUID != "" {
		s.Kubernetes = &span.Kubernetes{Pod: span.KubernetesPod{UID: c.proc.PodUID}}
	}
	t.setTrace(s, f.traceparent, ts)
	t.setIDs(s, c, ts)
}

// setIDs sets the document id, span.TimeOrderedID(start, span.IDOf(connection
// id, index)), and span.id, the latter part of it, unless the traffic named
// the span (setTrace).
func (t *tracker) setIDs(s *span.Span, c *conn, ts time.Time) {
	from := t.text.mark()
	t.text.hex(uint64(ts.UnixMicro()), 13)
	idFrom := t.text.mark()
	t.text.hex(span.IDMix(c.idHash, uint64(c.index)), 16)
	t.text.set(&s.ID, from)
	if s.Span.ID == "" {
		t.text.set(&s.Span.ID, idFrom)
	}
}

func threadOf(store *span.Thread, tid uint32) *span.Thread {
	if tid == 0 {
		return nil
	}
	if store == nil {
		store = new(span.Thread)
	}
	store.ID = int(tid)
	return store
}

// setTrace honours a W3C traceparent: a server span joins the caller's
// trace as its child; a client span is the span the caller named as
// parent-id, so the server span's parent.id points at it. Without one the
// span gets a new trace id.
func (t *tracker) setTrace(s *span.Span, traceparent string, start time.Time) {
	traceID, parentID, ok := parseTraceparent(traceparent)
	if !ok {
		t.traceID(&s.Trace.ID, start)
		return
	}
	s.Trace.ID = traceID
	s.Vigil.TraceFromTraffic = true
	if s.Span.Kind == span.KindServer {
		s.Parent = &span.Parent{ID: parentID}
	} else {
		s.Span.ID = parentID
	}
}

// parseTraceparent reads version-traceid-parentid-flags (and whatever a
// later version appends after another '-'), rejecting the all-zero ids the
// specification forbids.
func parseTraceparent(v string) (traceID, parentID string, ok bool) {
	v = strings.TrimSpace(v)
	const n = 2 + 1 + 32 + 1 + 16 + 1 + 2
	if len(v) < n || v[2] != '-' || v[35] != '-' || v[52] != '-' || (len(v) > n && v[n] != '-') {
		return "", "", false
	}
	version, traceID, parentID, flags := v[:2], v[3:35], v[36:52], v[53:55]
	if version == "ff" || !isLowerHex(version) || !isLowerHex(traceID) || !isLowerHex(parentID) || !isLowerHex(flags) {
		return "", "", false
	}
	if strings.Trim(traceID, "0") == "" || strings.Trim(parentID, "0") == "" {
		return "", "", false
	}
	return traceID, parentID, true
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// traceID sets *dst to a W3C trace id for a span the traffic gave none:
// 48 bits of milliseconds then 80 random bits, so the store's trace index
// grows in time order (as AWS X-Ray ids do) while ids stay unique.
func (t *tracker) traceID(dst *string, start time.Time) {
	hi := uint64(start.UnixMilli())<<16 | t.ids.Uint64()&0xffff
	lo := t.ids.Uint64()
	from := t.text.mark()
	t.text.hex(hi, 16)                      // big-endian bytes
	t.text.hex(bits.ReverseBytes64(lo), 16) // little-endian bytes
	t.text.set(dst, from)
}

// setTokens sets the span's tokens of values, in store when it is long
// enough.
func (t *tracker) setTokens(s *span.Span, store []string, values ...string) {
	var hashes [maxTokens]uint64
	n := t.tok.hashes(&hashes, values...)
	if n == 0 {
		return
	}
	if n > len(store) {
		store = make([]string, n)
	}
	s.Vigil.Tokens = store[:n:n]
	for i, h := range hashes[:n] {
		from := t.text.mark()
		t.text.buf = appendToken(t.text.buf, h)
		t.text.set(&s.Vigil.Tokens[i], from)
	}
}

func outcome(kind string, status int) string {
	switch {
	case status == 0:
		return span.OutcomeUnknown
	case status >= 500, kind == span.KindClient && status >= 400:
		return span.OutcomeFailure
	}
	return span.OutcomeSuccess
}

func pathOnly(target string) string {
	if i := strings.IndexByte(target, '?'); i >= 0 {
		return target[:i]
	}
	return target
}

func endpoint(ap netip.AddrPort) span.Endpoint {
	if !ap.IsValid() {
		return span.Endpoint{}
	}
	return span.Endpoint{IP: ap.Addr().String(), Port: int(ap.Port())}
}
