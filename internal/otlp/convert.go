package otlp

import (
	"math"
	"time"

	"github.com/vigil-dev/vigil/internal/span"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// Keys of OTel.Attributes where vigil says what its Limits cut and the span
// model has no Dropped* field for (see Convert).
const (
	AttrTruncatedStrings = "vigil.truncated_strings"
	AttrDroppedValues    = "vigil.dropped_values"
)

// Result is what Convert made of a request.
type Result struct {
	Spans    []span.Span
	Rejected map[Reason]int // spans left out, by reason; nil when none
}

// RejectedSpans is the number of spans left out.
func (r *Result) RejectedSpans() int {
	n := 0
	for _, c := range r.Rejected {
		n += c
	}
	return n
}

func (r *Result) reject(reason Reason) {
	if r.Rejected == nil {
		r.Rejected = map[Reason]int{}
	}
	r.Rejected[reason]++
}

// Convert turns an export request into spans, format being their
// Vigil.Format ("otlp/protobuf", "otlp/json"). Spans with invalid ids or no
// start time are left out and counted by reason. Within a span, what is
// over lim is dropped: span attributes, events and links into the
// OTel.Dropped* counts, cut strings into OTel.Attributes[AttrTruncatedStrings]
// and other values (resource, event and link attributes, nested values)
// into OTel.Attributes[AttrDroppedValues].
func Convert(req *coltracepb.ExportTraceServiceRequest, format string, lim Limits) Result {
	lim = lim.withDefaults()
	n := 0
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			n += len(ss.GetSpans())
		}
	}
	res := Result{Spans: make([]span.Span, 0, n)}
	c := converter{lim: lim, format: format}
	for _, rs := range req.GetResourceSpans() {
		r := c.resource(rs)
		for _, ss := range rs.GetScopeSpans() {
			scope := c.scope(ss)
			for _, s := range ss.GetSpans() {
				out, reason := c.span(s, &r, scope)
				if reason != "" {
					res.reject(reason)
					continue
				}
				res.Spans = append(res.Spans, out)
			}
		}
	}
	return res
}

// converter holds what is reused across the spans of one request.
type converter struct {
	lim    Limits
	format string
	// last trace id seen: spans of a batch mostly share one, so its hex
	// string is made once.
	lastTraceID  [16]byte
	lastTraceHex string
}

func (c *converter) scope(ss *tracepb.ScopeSpans) span.Scope {
	a := attrConv{lim: c.lim}
	return span.Scope{Name: a.str(ss.GetScope().GetName()), Version: a.str(ss.GetScope().GetVersion())}
}

func (c *converter) span(s *tracepb.Span, r *resourceInfo, scope span.Scope) (span.Span, Reason) {
	traceID, ok := c.traceID(s.GetTraceId())
	if !ok {
		return span.Span{}, ReasonTraceID
	}
	spanID, ok := idHex(s.GetSpanId(), 8)
	if !ok {
		return span.Span{}, ReasonSpanID
	}
	parent, ok := parentOf(s.GetParentSpanId())
	if !ok {
		return span.Span{}, ReasonParentID
	}
	startNS := s.GetStartTimeUnixNano()
	if startNS == 0 || startNS > math.MaxInt64 {
		return span.Span{}, ReasonStartTime
	}
	start := time.Unix(0, int64(startNS)).UTC()
	a := attrConv{lim: c.lim, truncated: r.truncated, dropped: r.dropped}
	attrs, over := a.attributes(s.GetAttributes(), 0)
	kind := kindOf(s.GetKind())
	out := span.Span{
		ID:        span.TimeOrderedID(start, spanID),
		Timestamp: start,
		Trace:     span.Trace{ID: traceID},
		Parent:    parent,
		Span: span.Info{
			ID:   spanID,
			Kind: kind,
			Name: a.str(s.GetName()),
			Type: typeOf(kind),
		},
		Service: r.service,
		Process: r.process,
		Vigil:   span.Vigil{Source: span.SourceOTLP, Format: c.format},
	}
	c.duration(&out, startNS, s.GetEndTimeUnixNano())
	r.place(&out)
	out.OTel = c.otel(s, &a, attrs, over, r, scope)
	var m semAttrs
	m.fromMap(attrs)
	describe(&out, &m, statusOf(new(span.Status), s.GetStatus().GetCode(), s.GetStatus().GetMessage(), &a), nil, nil)
	a.mark(out.OTel)
	return out, ""
}

// duration sets Span.Duration; an end before the start (or none) leaves
// it 0 and marks the span incomplete instead of guessing.
func (c *converter) duration(out *span.Span, startNS, endNS uint64) {
	if endNS < startNS {
		out.Vigil.Incomplete = true
		out.Vigil.Reason = "end time before start time"
		return
	}
	out.Span.Duration.US = int64((endNS - startNS) / 1000)
}

func (c *converter) otel(s *tracepb.Span, a *attrConv, attrs map[string]any, over int,
	r *resourceInfo, scope span.Scope) *span.OTel {
	o := &span.OTel{
		Attributes:        attrs,
		Resource:          r.attrs,
		TraceState:        a.str(s.GetTraceState()),
		DroppedAttributes: int(s.GetDroppedAttributesCount()) + over,
		DroppedEvents:     int(s.GetDroppedEventsCount()),
		DroppedLinks:      int(s.GetDroppedLinksCount()),
	}
	if scope != (span.Scope{}) {
		o.Scope = &scope
	}
	o.Events, o.DroppedEvents = c.events(s.GetEvents(), a, o.DroppedEvents)
	o.Links, o.DroppedLinks = c.links(s.GetLinks(), a, o.DroppedLinks)
	return o
}

func (c *converter) events(evs []*tracepb.Span_Event, a *attrConv, dropped int) ([]span.SpanEvent, int) {
	if len(evs) == 0 {
		return nil, dropped
	}
	n := min(len(evs), c.lim.MaxEvents)
	out := make([]span.SpanEvent, n)
	for i, e := range evs[:n] {
		attrs, over := a.attributes(e.GetAttributes(), 0)
		a.dropped += over
		out[i] = span.SpanEvent{Time: nanoTime(e.GetTimeUnixNano()), Name: a.str(e.GetName()), Attributes: attrs}
	}
	return out, dropped + len(evs) - n
}

// links keeps links with valid ids; the others count as dropped.
func (c *converter) links(ls []*tracepb.Span_Link, a *attrConv, dropped int) ([]span.Link, int) {
	if len(ls) == 0 {
		return nil, dropped
	}
	out := make([]span.Link, 0, min(len(ls), c.lim.MaxLinks))
	for _, l := range ls {
		traceID, ok1 := idHex(l.GetTraceId(), 16)
		spanID, ok2 := idHex(l.GetSpanId(), 8)
		if !ok1 || !ok2 || len(out) == c.lim.MaxLinks {
			dropped++
			continue
		}
		attrs, over := a.attributes(l.GetAttributes(), 0)
		a.dropped += over
		out = append(out, span.Link{TraceID: traceID, SpanID: spanID, TraceState: a.str(l.GetTraceState()), Attributes: attrs})
	}
	return out, dropped
}

// mark records in o what the limits cut that has no Dropped* field.
func (a *attrConv) mark(o *span.OTel) {
	if a.truncated == 0 && a.dropped == 0 {
		return
	}
	if o.Attributes == nil {
		o.Attributes = map[string]any{}
	}
	if a.truncated > 0 {
		o.Attributes[AttrTruncatedStrings] = int64(a.truncated)
	}
	if a.dropped > 0 {
		o.Attributes[AttrDroppedValues] = int64(a.dropped)
	}
}

func (c *converter) traceID(b []byte) (string, bool) {
	if len(b) == 16 && [16]byte(b) == c.lastTraceID && c.lastTraceHex != "" {
		return c.lastTraceHex, true
	}
	h, ok := idHex(b, 16)
	if ok {
		c.lastTraceID, c.lastTraceHex = [16]byte(b), h
	}
	return h, ok
}

// parentOf: no parent id, or an all-zero one (some senders' way of saying
// none), is a root span.
func parentOf(b []byte) (*span.Parent, bool) {
	if len(b) == 0 || allZero(b) {
		return nil, true
	}
	id, ok := idHex(b, 8)
	if !ok {
		return nil, false
	}
	return &span.Parent{ID: id}, true
}

// idHex is b in lower-case hex when it has size bytes, not all zero.
func idHex(b []byte, size int) (string, bool) {
	if len(b) != size || allZero(b) {
		return "", false
	}
	const digits = "0123456789abcdef"
	var buf [32]byte
	for i, x := range b {
		buf[2*i], buf[2*i+1] = digits[x>>4], digits[x&0xf]
	}
	return string(buf[:2*size]), true
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// nanoTime is a Unix-nanosecond time in UTC; values past 2262 saturate.
func nanoTime(ns uint64) time.Time {
	return time.Unix(0, int64(min(ns, math.MaxInt64))).UTC()
}

func kindOf(k tracepb.Span_SpanKind) string {
	switch k {
	case tracepb.Span_SPAN_KIND_SERVER:
		return span.KindServer
	case tracepb.Span_SPAN_KIND_CLIENT:
		return span.KindClient
	case tracepb.Span_SPAN_KIND_PRODUCER:
		return span.KindProducer
	case tracepb.Span_SPAN_KIND_CONSUMER:
		return span.KindConsumer
	}
	return span.KindInternal
}

// typeOf is Elastic APM's span.type for a kind.
func typeOf(kind string) string {
	switch kind {
	case span.KindServer:
		return "request"
	case span.KindClient:
		return "external"
	case span.KindProducer, span.KindConsumer:
		return "messaging"
	}
	return "internal"
}
