package store

import (
	"context"
	"time"

	"github.com/vigil-dev/vigil/internal/span"
)

// Trace is an assembled trace as AssembleTraces stores it. Its ID is the
// trace id its spans share after correlation (the root's), so assembling
// the same spans again writes the same document.
type Trace struct {
	ID         string         `json:"id"`
	Root       TraceRoot      `json:"root"`
	Start      time.Time      `json:"start"`
	DurationUS int64          `json:"duration_us"`
	Spans      int            `json:"spans"`
	Errors     int            `json:"errors"` // spans whose outcome is failure
	Roots      int            `json:"roots"`  // more than one when a parent was not captured
	Services   []TraceService `json:"services"`
	// CriticalPath is the chain of span document ids that bounds the
	// trace's duration, root first.
	CriticalPath []string `json:"critical_path"`
	// SpanIDs are the document ids of the trace's spans in waterfall order
	// (depth first, children by start).
	SpanIDs     []string  `json:"span_ids"`
	AssembledAt time.Time `json:"assembled_at"`
}

// TraceRoot names the trace's first root span.
type TraceRoot struct {
	SpanID  string `json:"span_id"` // document id
	Service string `json:"service"`
	Name    string `json:"name"`
}

// TraceService sums one service's spans in a trace.
type TraceService struct {
	Name       string `json:"name"`
	Spans      int    `json:"spans"`
	Errors     int    `json:"errors"`
	DurationUS int64  `json:"duration_us"` // summed span durations
}

// Duration is the trace's duration.
func (t *Trace) Duration() time.Duration { return time.Duration(t.DurationUS) * time.Microsecond }

// TraceQuery filters traces; zero values mean "any".
type TraceQuery struct {
	Service string    // traces with a span of this service
	Since   time.Time // inclusive, on Start
	Until   time.Time // exclusive, on Start
	Limit   int       // 0 means 100
}

// TraceWriter stores traces.
type TraceWriter interface {
	// WriteTraces replaces the stored traces of the same ids and deletes
	// the ids in deleted (traces that correlation merged into another), in
	// one transaction: writing the same batch twice leaves the same
	// documents.
	WriteTraces(ctx context.Context, traces []Trace, deleted []string) error
}

// TraceReader reads traces.
type TraceReader interface {
	// GetTrace returns ErrNotFound, wrapped, for an unknown id.
	GetTrace(ctx context.Context, id string) (Trace, error)
	// ListTraces returns the traces matching q, newest Start first, ties by
	// id descending; an empty slice, not nil, when none do.
	ListTraces(ctx context.Context, q TraceQuery) ([]Trace, error)
}

// SpanLink is what correlation found for one stored span.
type SpanLink struct {
	SpanID    string    `json:"span_id"`   // the span's document id
	Timestamp time.Time `json:"timestamp"` // the span's @timestamp: where to find it
	TraceID   string    `json:"trace_id"`
	ParentID  string    `json:"parent_id,omitempty"` // parent.id (the parent's span.id); "" for a root
	How       string    `json:"how,omitempty"`
	// Confidence is vigil.parent_confidence.
	Confidence float64 `json:"confidence,omitempty"`
}

// LinkOf returns the link a span carries now.
func LinkOf(s *span.Span) SpanLink {
	l := SpanLink{SpanID: s.ID, Timestamp: s.Timestamp, TraceID: s.Trace.ID,
		How: s.Vigil.ParentHow, Confidence: s.Vigil.ParentConfidence}
	if s.Parent != nil {
		l.ParentID = s.Parent.ID
	}
	return l
}

// SpanLinker writes correlation's links into stored spans.
type SpanLinker interface {
	// LinkSpans sets trace.id, parent.id and vigil.parent_how and
	// parent_confidence of the stored spans named; the rest of each span is
	// unchanged, Vigil.StoredAt included. Idempotent; a link to a span not
	// stored (pruned) is ignored.
	LinkSpans(ctx context.Context, links []SpanLink) error
}

// SpansStored is a page of spans in the order they were stored.
type SpansStored struct {
	Spans []span.Span
	// Next is the cursor to pass to read the spans stored after these; the
	// same cursor when nothing newer is stored.
	Next string
}

// StoredQuery selects spans by the order they were stored.
type StoredQuery struct {
	Cursor string    // "" is the beginning
	Since  time.Time // inclusive, on @timestamp; zero is unbounded
	Until  time.Time // exclusive, on @timestamp; zero is unbounded
	Limit  int       // about; 0 means 100
}

// StoredSpanReader reads spans in the order they were stored, for the
// spans that arrive after their time was assembled. A cursor, not a
// time: writes that began earlier may commit later, and a time would
// skip them.
type StoredSpanReader interface {
	// SpansStoredAfter returns up to about q.Limit spans stored after
	// q.Cursor whose @timestamp is in [q.Since, q.Until); spans of one
	// write are never split across pages.
	SpansStoredAfter(ctx context.Context, q StoredQuery) (SpansStored, error)
}

// TraceWatermark is how far trace assembly has come.
type TraceWatermark struct {
	// AssembledUntil: every window before it has been assembled.
	AssembledUntil time.Time `json:"assembled_until"`
	// StoredCursor: the spans stored up to it were seen by assembly
	// (a StoredSpanReader cursor).
	StoredCursor string    `json:"stored_cursor"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// TraceWatermarkStore keeps the watermark with the traces it describes, so
// a new store starts assembly from scratch.
type TraceWatermarkStore interface {
	// GetTraceWatermark returns ErrNotFound, wrapped, before the first put.
	GetTraceWatermark(ctx context.Context) (TraceWatermark, error)
	// PutTraceWatermark stores w unless the stored AssembledUntil is later
	// (a late retry): the watermark never goes back.
	PutTraceWatermark(ctx context.Context, w TraceWatermark) error
}
