// Package notify holds the types shared by vigil's notifiers: the event the
// Incident workflow hands to its notification activity, the reference a
// notifier returns so later events can refer to the first message, and the
// errors the activity uses to decide whether and when to retry.
package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// Kind is the kind of incident event being delivered.
type Kind string

// The kinds of event an incident goes through.
const (
	KindFiring       Kind = "firing"
	KindReminder     Kind = "reminder"
	KindAcknowledged Kind = "acknowledged"
	KindResolved     Kind = "resolved"
)

// Valid reports whether k is one of the known kinds.
func (k Kind) Valid() bool {
	switch k {
	case KindFiring, KindReminder, KindAcknowledged, KindResolved:
		return true
	}
	return false
}

// Event is one notification about an incident.
type Event struct {
	Kind Kind
	// IncidentID is stable per incident; deliveries are idempotent per
	// (IncidentID, Kind, Seq).
	IncidentID string
	// Seq is 0 for the first firing and n for the n-th reminder.
	Seq      int
	Rule     string // rule name
	Severity string // "critical", "warning", "info"
	// Summary is one line, e.g. "checkout is failing in eu-west (3 of 3 runs)".
	Summary string
	// Group holds the labels the incident is grouped by (monitor, location, step...).
	Group       map[string]string
	Monitor     string
	Location    string
	FailingStep string // step name
	Error       string // the step's error
	// Assertion is the assertion that failed, e.g. `status == 200` (got 503).
	Assertion   string
	Confirmed   bool   // the failure was confirmed by a re-check
	Commit      string // git commit of the monitor definition
	RunURL      string // link to the run in the API/dashboard
	WorkflowURL string // link to the workflow in the Temporal UI
	SlowestSpan *Span  // slowest backend span of the run, when spans exist
	// TraceIDs are the traces the run started: the notification activity
	// looks SlowestSpan up in them when it sends.
	TraceIDs  []string
	StartedAt time.Time
	At        time.Time // when this event happened
	By        string    // who acknowledged/resolved ("" = automatic)
	// Ref is the reference returned when the incident's first message was
	// sent; empty on firing.
	Ref Ref
}

// Span is a backend span worth pointing at.
type Span struct {
	Service  string
	Name     string
	Duration time.Duration
	TraceID  string
	SpanID   string
}

// Took is the span's duration as a message shows it: backend spans are
// often below a millisecond, which rounding to milliseconds would show as 0s.
func (s *Span) Took() time.Duration {
	switch {
	case s.Duration < time.Millisecond:
		return s.Duration.Round(time.Microsecond)
	case s.Duration < time.Second:
		return s.Duration.Round(100 * time.Microsecond)
	}
	return s.Duration.Round(time.Millisecond)
}

// Ref identifies a sent message so later events can update or thread on it.
// It is empty for notifiers that cannot address a message (webhooks).
type Ref struct {
	Channel string // Slack channel id
	TS      string // Slack message ts
}

// IsZero reports whether r refers to no message.
func (r Ref) IsZero() bool { return r.Channel == "" && r.TS == "" }

// Notifier delivers an event and returns the reference of the incident's
// message (the one later events should refer to).
type Notifier interface {
	Send(ctx context.Context, ev Event) (Ref, error)
}

// DeliveryID is a deterministic id for one delivery of ev, the same on every
// retry, so receivers can drop duplicates. It hashes the parts rather than
// joining them so the id is header-safe whatever the incident id contains.
func DeliveryID(ev Event) string {
	h := sha256.New()
	h.Write([]byte(ev.IncidentID))
	h.Write([]byte{0})
	h.Write([]byte(ev.Kind))
	h.Write([]byte{0})
	h.Write([]byte(strconv.Itoa(ev.Seq)))
	return hex.EncodeToString(h.Sum(nil)[:16])
}
