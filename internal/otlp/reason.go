package otlp

import (
	"sync/atomic"
)

// Reason says why a request or a span was refused. Values are short
// snake_case words, usable as metric labels.
type Reason string

// Why a whole request was refused.
const (
	ReasonMethod          Reason = "method"           // not POST: 405
	ReasonContentType     Reason = "content_type"     // not protobuf or JSON: 415
	ReasonContentEncoding Reason = "content_encoding" // not gzip or identity: 415
	ReasonTooLarge        Reason = "too_large"        // over a body limit: 413
	ReasonRead            Reason = "read"             // the body could not be read (client gone): 400
	ReasonGzip            Reason = "gzip"             // not valid gzip: 400
	ReasonProtobuf        Reason = "protobuf"         // not an ExportTraceServiceRequest: 400
	ReasonJSON            Reason = "json"             // not OTLP/JSON: 400
	ReasonOverloaded      Reason = "sink_overloaded"  // the sink returned ErrOverloaded: 429
	ReasonSinkFailed      Reason = "sink_failed"      // the sink failed otherwise: 503
)

// Why one span was left out (and counted in partial_success).
const (
	ReasonTraceID   Reason = "invalid_trace_id"       // not 16 bytes, or all zeros
	ReasonSpanID    Reason = "invalid_span_id"        // not 8 bytes, or all zeros
	ReasonParentID  Reason = "invalid_parent_span_id" // set, but not 8 bytes
	ReasonStartTime Reason = "invalid_start_time"     // zero, or past year 2262
	ReasonInvalid   Reason = "invalid_span"           // fails span.Validate after Filter
)

// RequestReasons lists every Reason that refuses a request, SpanReasons
// every one that leaves a span out, so callers can register counters.
func RequestReasons() []Reason {
	return []Reason{
		ReasonMethod, ReasonContentType, ReasonContentEncoding, ReasonTooLarge,
		ReasonRead, ReasonGzip, ReasonProtobuf, ReasonJSON, ReasonOverloaded,
		ReasonSinkFailed,
	}
}

// SpanReasons: see RequestReasons.
func SpanReasons() []Reason {
	return []Reason{ReasonTraceID, ReasonSpanID, ReasonParentID, ReasonStartTime, ReasonInvalid}
}

// Stats are a Handler's counters since it was created.
type Stats struct {
	Requests      uint64
	SpansAccepted uint64 // handed to the sink and taken by it
	SpansRejected map[Reason]uint64
	BadRequests   map[Reason]uint64 // requests refused, sink failures included
}

// counters are Stats kept with atomics, one per known reason, so the hot
// path takes no lock.
type counters struct {
	requests atomic.Uint64
	accepted atomic.Uint64
	spans    map[Reason]*atomic.Uint64 // fixed after newCounters
	requestz map[Reason]*atomic.Uint64
}

func newCounters() *counters {
	c := &counters{spans: map[Reason]*atomic.Uint64{}, requestz: map[Reason]*atomic.Uint64{}}
	for _, r := range SpanReasons() {
		c.spans[r] = new(atomic.Uint64)
	}
	for _, r := range RequestReasons() {
		c.requestz[r] = new(atomic.Uint64)
	}
	return c
}

func (c *counters) rejectRequest(r Reason) { c.requestz[r].Add(1) }

func (c *counters) rejectSpans(r Reason, n int) { c.spans[r].Add(uint64(n)) }

func (c *counters) snapshot() Stats {
	s := Stats{
		Requests:      c.requests.Load(),
		SpansAccepted: c.accepted.Load(),
		SpansRejected: make(map[Reason]uint64, len(c.spans)),
		BadRequests:   make(map[Reason]uint64, len(c.requestz)),
	}
	for r, n := range c.spans {
		s.SpansRejected[r] = n.Load()
	}
	for r, n := range c.requestz {
		s.BadRequests[r] = n.Load()
	}
	return s
}
