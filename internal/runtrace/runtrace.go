// Package runtrace finds the backend spans a monitor run caused: the spans
// stored under the W3C traces its requests carried. The agent batches its
// spans, so they arrive after the run's result is stored: they are looked
// up when the result is read (API, CLI) and when an incident notifies,
// never stored in the result.
package runtrace

import (
	"context"
	"fmt"
	"time"

	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
)

// Spans reads stored spans (store.SpanReader is one).
type Spans interface {
	ListSpans(ctx context.Context, q store.SpanQuery) ([]span.Span, error)
}

const (
	// maxSpans bounds what one trace reads.
	maxSpans = 10_000
	// skew is how far a backend's clock and its batching may put a span's
	// @timestamp from the run: wide, it only saves reading old blocks.
	skew = time.Hour
)

// Resolve fills in the span count and slowest backend span of each of
// res's traces, and the run's slowest backend span. A result from before
// vigil.traces gets its single trace.id listed. A store that fails leaves
// the traces unresolved and is returned.
func Resolve(ctx context.Context, sp Spans, res *result.Result) error {
	if len(res.Vigil.Traces) == 0 && res.Trace != nil && res.Trace.ID != "" {
		res.Vigil.Traces = []result.RunTrace{{ID: res.Trace.ID}}
	}
	since, until := window(res)
	res.Vigil.SlowestSpan = nil
	for i := range res.Vigil.Traces {
		t := &res.Vigil.Traces[i]
		spans, err := sp.ListSpans(ctx, store.SpanQuery{TraceID: t.ID, Since: since, Until: until, Limit: maxSpans})
		if err != nil {
			return fmt.Errorf("reading the spans of trace %s of run %s: %w", t.ID, res.ID, err)
		}
		t.Spans = len(spans)
		t.SlowestSpan = ref(slowestBackend(spans), t.Step)
		if s := t.SlowestSpan; s != nil && slower(s, res.Vigil.SlowestSpan) {
			res.Vigil.SlowestSpan = s
		}
	}
	return nil
}

// Slowest is the slowest backend span of the traces, nil when none is
// stored; at is when the run was (zero: any time).
func Slowest(ctx context.Context, sp Spans, at time.Time, traceIDs []string) (*result.SpanRef, error) {
	var best *result.SpanRef
	var since, until time.Time
	if !at.IsZero() {
		since, until = at.Add(-skew), at.Add(skew)
	}
	for _, id := range traceIDs {
		spans, err := sp.ListSpans(ctx, store.SpanQuery{TraceID: id, Since: since, Until: until, Limit: maxSpans})
		if err != nil {
			return nil, fmt.Errorf("reading the spans of trace %s: %w", id, err)
		}
		if s := ref(slowestBackend(spans), 0); s != nil && slower(s, best) {
			best = s
		}
	}
	return best, nil
}

func window(res *result.Result) (time.Time, time.Time) {
	start, end := res.Vigil.StartedAt, res.Vigil.FinishedAt
	if start.IsZero() {
		start = res.Timestamp
	}
	if start.IsZero() {
		return time.Time{}, time.Time{}
	}
	if end.Before(start) {
		end = start
	}
	return start.Add(-skew), end.Add(skew)
}

// slowestBackend is the longest server span: a backend answering one of
// the run's requests, or a call those made. Client spans are left out: the
// longest would be the monitor's own request, when an agent traces the
// worker. Ties go to the earliest, then the lowest id, so the answer is
// stable.
func slowestBackend(spans []span.Span) *span.Span {
	var best *span.Span
	for i := range spans {
		s := &spans[i]
		if s.Span.Kind != span.KindServer {
			continue
		}
		if best == nil || s.Span.Duration.US > best.Span.Duration.US ||
			s.Span.Duration.US == best.Span.Duration.US && (s.Timestamp.Before(best.Timestamp) ||
				s.Timestamp.Equal(best.Timestamp) && s.ID < best.ID) {
			best = s
		}
	}
	return best
}

func ref(s *span.Span, step int) *result.SpanRef {
	if s == nil {
		return nil
	}
	return &result.SpanRef{Service: s.Service.Name, Name: s.Span.Name, Duration: result.Micros{US: s.Span.Duration.US},
		SpanID: s.Span.ID, TraceID: s.Trace.ID, Step: step}
}

func slower(a, b *result.SpanRef) bool { return b == nil || a.Duration.US > b.Duration.US }
