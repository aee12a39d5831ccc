package agent

import (
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/internal/protocol/httpwire"
	"github.com/vigil-dev/vigil/internal/reassembly"
	"github.com/vigil-dev/vigil/internal/span"
)

// buildSpan makes the span of one exchange. Timing follows the syscalls'
// returns (only exits are observed): a server's span runs from the return
// of the read that brought the request's first bytes to the return of the
// write that sent the response's last bytes; a client's span from the
// return of its first request write to the return of the read of the
// response's last bytes.
func (t *tracker) buildSpan(c *conn, x *httpwire.Exchange) span.Span {
	start, end := x.RequestStart, x.ResponseEnd
	if x.RequestDir == reassembly.Ingress {
		start = x.RequestFirstEnd
	}
	s := t.baseSpan(c, x.RequestDir, start, end, x.RequestEnd, x.Incomplete, x.Reason)
	s.Span.Name = x.Method + " " + pathOnly(x.Target)
	s.Span.Subtype = "http"
	s.HTTP = &span.HTTP{
		Version: x.Version,
		Request: span.HTTPRequest{
			Method: x.Method, Path: x.Target, Host: x.Host,
			Bytes: x.RequestBytes, BodyBytes: x.RequestBodyBytes, TraceState: x.Tracestate,
		},
		Response: span.HTTPResponse{StatusCode: x.Status, Bytes: x.ResponseBytes, BodyBytes: x.ResponseBodyBytes},
	}
	s.Event.Outcome = outcome(s.Span.Kind, x.Status)
	s.Vigil.Tokens = t.tok.tokens(x.Target)
	t.applyTraceContext(&s, s.Span.Kind, x.Traceparent, s.Timestamp)
	return s
}

// baseSpan holds what every protocol's span of the connection shares:
// ids, kind (from the direction requests flowed), timing, endpoints and
// the process. When no response was seen the span ends with its request
// (reqEnd). The trace id is set for a span without trace context.
func (t *tracker) baseSpan(c *conn, reqDir reassembly.Direction, start, end, reqEnd uint64, incomplete bool, reason string) span.Span {
	kind := span.KindClient
	if reqDir == reassembly.Ingress {
		kind = span.KindServer
	}
	if end < start {
		end = max(reqEnd, start)
	}
	spanID := span.IDOf(c.connID, uint64(c.index))
	ts := t.clock.wall(start)
	s := span.Span{
		ID:        span.TimeOrderedID(ts, spanID),
		Timestamp: ts,
		Span:      span.Info{ID: spanID, Kind: kind, Duration: span.Micros{US: int64(end-start) / 1000}},
		Service:   span.Service{Name: c.proc.Service, Node: span.ServiceNode{Name: t.node}},
		Process:   span.Process{PID: c.proc.PID, Executable: c.proc.Executable, Name: c.proc.Name, Thread: threadOf(c.lastTID[reqDir])},
		Event:     span.Event{Outcome: span.OutcomeUnknown},
		Vigil: span.Vigil{Source: span.SourceEBPF, Incomplete: incomplete, Reason: reason, ConnID: c.connID,
			EndThread: int(c.lastTID[1-reqDir])},
	}
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
	s.Trace.ID = t.traceID(ts)
	return s
}

func threadOf(tid uint32) *span.Thread {
	if tid == 0 {
		return nil
	}
	return &span.Thread{ID: int(tid)}
}

// applyTraceContext honours a W3C traceparent: a server span joins the
// caller's trace as its child; a client span is the span the caller named
// as parent-id, so the server span's parent.id points at it.
func (t *tracker) applyTraceContext(s *span.Span, kind, traceparent string, start time.Time) {
	traceID, parentID, ok := parseTraceparent(traceparent)
	if !ok {
		s.Trace.ID = t.traceID(start)
		return
	}
	s.Trace.ID = traceID
	s.Vigil.TraceFromTraffic = true
	if kind == span.KindServer {
		s.Parent = &span.Parent{ID: parentID}
	} else {
		s.Span.ID = parentID
	}
}

// parseTraceparent reads version-traceid-parentid-flags, rejecting the
// all-zero ids the specification forbids.
func parseTraceparent(v string) (traceID, parentID string, ok bool) {
	parts := strings.Split(strings.TrimSpace(v), "-")
	if len(parts) < 4 || len(parts[0]) != 2 || parts[0] == "ff" || len(parts[1]) != 32 || len(parts[2]) != 16 || len(parts[3]) != 2 {
		return "", "", false
	}
	for _, p := range parts[:4] {
		if !isLowerHex(p) {
			return "", "", false
		}
	}
	if strings.Trim(parts[1], "0") == "" || strings.Trim(parts[2], "0") == "" {
		return "", "", false
	}
	return parts[1], parts[2], true
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// traceID is a W3C trace id for a span the traffic gave none: 48 bits of
// milliseconds then 80 random bits, so the store's trace index grows in
// time order (as AWS X-Ray ids do) while ids stay unique.
func (t *tracker) traceID(start time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(start.UnixMilli())<<16|t.ids.Uint64()&0xffff)
	binary.LittleEndian.PutUint64(b[8:], t.ids.Uint64())
	return hex.EncodeToString(b[:])
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
