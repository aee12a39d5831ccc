package span

import "time"

// OTel holds what an OpenTelemetry span carries beyond the common model,
// keyed as OpenTelemetry names it, so nothing a sender said is lost.
type OTel struct {
	Attributes map[string]any `json:"attributes,omitempty"` // span attributes
	Resource   map[string]any `json:"resource,omitempty"`   // resource attributes
	Scope      *Scope         `json:"scope,omitempty"`
	Status     *Status        `json:"status,omitempty"`
	Events     []SpanEvent    `json:"events,omitempty"`
	Links      []Link         `json:"links,omitempty"`
	TraceState string         `json:"trace_state,omitempty"`
	// Dropped counts what the sender said it had to drop.
	DroppedAttributes int `json:"dropped_attributes,omitempty"`
	DroppedEvents     int `json:"dropped_events,omitempty"`
	DroppedLinks      int `json:"dropped_links,omitempty"`
}

// Scope is the instrumentation scope that produced the span.
type Scope struct {
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
}

// Status is the span's status: "unset", "ok" or "error".
type Status struct {
	Code    string `json:"code"`
	Message string `json:"message,omitempty"`
}

// SpanEvent is a timed event inside a span (an exception, a log line).
type SpanEvent struct {
	Time       time.Time      `json:"time"`
	Name       string         `json:"name"`
	Attributes map[string]any `json:"attributes,omitempty"`
}

// Link points at a span of another trace.
type Link struct {
	TraceID    string         `json:"trace_id"`
	SpanID     string         `json:"span_id"`
	TraceState string         `json:"trace_state,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty"`
}
