package webhook

import (
	"time"

	"github.com/vigil-dev/vigil/internal/notify"
)

// Payload is the JSON body POSTed for every event. Its shape is stable:
// fields are only ever added, every field below is always present (empty
// string, false, {} or null when unknown), and Version changes only if a
// field's meaning changes.
//
//	{
//	  "version": 1,
//	  "delivery_id": "9f2c…",            // same as X-Vigil-Delivery
//	  "kind": "firing",                  // firing | reminder | acknowledged | resolved
//	  "incident_id": "checkout/eu-west",
//	  "seq": 0,                          // n for the n-th reminder
//	  "rule": "checkout-failing",
//	  "severity": "critical",
//	  "summary": "checkout is failing in eu-west (3 of 3 runs)",
//	  "group": {"monitor": "checkout", "location": "eu-west"},
//	  "monitor": "checkout", "location": "eu-west", "failing_step": "pay",
//	  "error": "…", "assertion": "`status == 200` (got 503)",
//	  "confirmed": true, "commit": "4f1c2e9…",
//	  "run_url": "https://…", "workflow_url": "https://…",
//	  "slowest_span": {"service": "payments", "name": "POST /charge",
//	                   "duration_ms": 2310.5, "trace_id": "…", "span_id": "…"},   // or null
//	  "started_at": "2024-03-01T10:00:00Z",   // RFC 3339, UTC
//	  "at": "2024-03-01T10:05:00Z",
//	  "by": ""                               // "" = automatic
//	}
type Payload struct {
	Version     int               `json:"version"`
	DeliveryID  string            `json:"delivery_id"`
	Kind        notify.Kind       `json:"kind"`
	IncidentID  string            `json:"incident_id"`
	Seq         int               `json:"seq"`
	Rule        string            `json:"rule"`
	Severity    string            `json:"severity"`
	Summary     string            `json:"summary"`
	Group       map[string]string `json:"group"`
	Monitor     string            `json:"monitor"`
	Location    string            `json:"location"`
	FailingStep string            `json:"failing_step"`
	Error       string            `json:"error"`
	Assertion   string            `json:"assertion"`
	Confirmed   bool              `json:"confirmed"`
	Commit      string            `json:"commit"`
	RunURL      string            `json:"run_url"`
	WorkflowURL string            `json:"workflow_url"`
	SlowestSpan *SpanPayload      `json:"slowest_span"`
	StartedAt   *time.Time        `json:"started_at"`
	At          *time.Time        `json:"at"`
	By          string            `json:"by"`
}

// SpanPayload is the JSON shape of notify.Span. The duration is in
// milliseconds (fractional) because nanoseconds surprise most receivers.
type SpanPayload struct {
	Service    string  `json:"service"`
	Name       string  `json:"name"`
	DurationMS float64 `json:"duration_ms"`
	TraceID    string  `json:"trace_id"`
	SpanID     string  `json:"span_id"`
}

// PayloadVersion is the current value of Payload.Version.
const PayloadVersion = 1

// NewPayload converts ev to its JSON shape.
func NewPayload(ev notify.Event) Payload {
	p := Payload{
		Version:     PayloadVersion,
		DeliveryID:  notify.DeliveryID(ev),
		Kind:        ev.Kind,
		IncidentID:  ev.IncidentID,
		Seq:         ev.Seq,
		Rule:        ev.Rule,
		Severity:    ev.Severity,
		Summary:     ev.Summary,
		Group:       map[string]string{},
		Monitor:     ev.Monitor,
		Location:    ev.Location,
		FailingStep: ev.FailingStep,
		Error:       ev.Error,
		Assertion:   ev.Assertion,
		Confirmed:   ev.Confirmed,
		Commit:      ev.Commit,
		RunURL:      ev.RunURL,
		WorkflowURL: ev.WorkflowURL,
		StartedAt:   utc(ev.StartedAt),
		At:          utc(ev.At),
		By:          ev.By,
	}
	for k, v := range ev.Group {
		p.Group[k] = v
	}
	if s := ev.SlowestSpan; s != nil {
		p.SlowestSpan = &SpanPayload{
			Service:    s.Service,
			Name:       s.Name,
			DurationMS: float64(s.Duration.Microseconds()) / 1000,
			TraceID:    s.TraceID,
			SpanID:     s.SpanID,
		}
	}
	return p
}

// utc returns nil for the zero time so receivers see null, not year 1.
func utc(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
