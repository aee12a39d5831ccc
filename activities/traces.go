package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/correlate/pipeline"
	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
)

// TraceStore is what trace assembly reads and writes.
type TraceStore interface {
	store.SpanReader
	store.SpanLinker
	store.StoredSpanReader
	store.TraceWriter
	store.TraceWatermarkStore
}

// Traces assembles traces from the stored spans, a window at a time.
type Traces struct {
	store TraceStore
	opts  pipeline.Options
	now   func() time.Time
	log   *slog.Logger
}

// NewTraces builds the trace assembly activities.
func NewTraces(st TraceStore, opts pipeline.Options, log *slog.Logger) *Traces {
	return &Traces{store: st, opts: opts, now: time.Now, log: log.With("component", "traces")}
}

// PlanTraceAssembly reads the watermark. The first run starts a grace
// period back, so the spans of the last minutes are assembled, not the
// whole store's history.
func (t *Traces) PlanTraceAssembly(ctx context.Context, in contract.AssembleInput) (contract.TracePlan, error) {
	in = in.WithDefaults()
	now := t.now().UTC()
	plan := contract.TracePlan{Now: now}
	w, err := t.store.GetTraceWatermark(ctx)
	switch {
	case errors.Is(err, store.ErrNotFound):
		plan.AssembledUntil = now.Add(-in.Grace).Truncate(in.Window)
		t.log.InfoContext(ctx, "trace assembly starts", "from", plan.AssembledUntil)
	case err != nil:
		return plan, fmt.Errorf("reading the trace watermark: %w", err)
	default:
		plan.AssembledUntil, plan.StoredCursor = w.AssembledUntil, w.StoredCursor
	}
	return plan, nil
}

// AdvanceTraceWatermark stores the watermark; it never goes back.
func (t *Traces) AdvanceTraceWatermark(ctx context.Context, in contract.AdvanceInput) error {
	w := store.TraceWatermark{AssembledUntil: in.AssembledUntil, StoredCursor: in.StoredCursor, UpdatedAt: t.now().UTC()}
	if err := t.store.PutTraceWatermark(ctx, w); err != nil {
		return fmt.Errorf("advancing the trace watermark to %s: %w", in.AssembledUntil.Format(time.RFC3339Nano), err)
	}
	return nil
}

// AssembleTraceWindow assembles the traces whose root starts in the window.
func (t *Traces) AssembleTraceWindow(ctx context.Context, in contract.WindowInput) (contract.WindowOutput, error) {
	out, err := t.assemble(ctx, in, nil)
	if err != nil {
		return out, err
	}
	if !out.TooMany {
		t.log.DebugContext(ctx, "window assembled", "from", in.From, "until", in.Until,
			"spans", out.Spans, "traces", out.Traces, "linked", out.Linked, "deleted", out.Deleted)
	}
	return out, nil
}

// AssembleLateSpans reads the spans stored after the cursor whose window
// was already assembled and re-assembles each such window still within
// its grace period, late spans' traces included.
func (t *Traces) AssembleLateSpans(ctx context.Context, in contract.LateInput) (contract.LateOutput, error) {
	now := t.now().UTC()
	q := store.StoredQuery{Cursor: in.Cursor, Until: in.AssembledUntil, Limit: in.MaxSpans}
	if in.Cursor == "" {
		// The first run: the store's history is not late, only unassembled.
		q.Since = now.Add(-in.Grace - in.Window)
	}
	page, err := t.store.SpansStoredAfter(ctx, q)
	if err != nil {
		return contract.LateOutput{}, fmt.Errorf("reading the spans stored after cursor %q: %w", in.Cursor, err)
	}
	out := contract.LateOutput{Next: page.Next, More: len(page.Spans) >= in.MaxSpans}
	windows := map[time.Time]map[string]bool{}
	for i := range page.Spans {
		sp := &page.Spans[i]
		start := sp.Timestamp.Truncate(in.Window)
		if start.Add(in.Window + in.Grace).Before(now) {
			out.TooLate++
			continue
		}
		out.Late++
		if windows[start] == nil {
			windows[start] = map[string]bool{}
		}
		windows[start][sp.ID] = true
	}
	starts := make([]time.Time, 0, len(windows))
	for s := range windows {
		starts = append(starts, s)
	}
	slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
	for _, s := range starts {
		win := contract.WindowInput{From: s, Until: s.Add(in.Window), Margin: in.Margin, MaxSpans: in.MaxSpans, Truncate: true}
		w, err := t.assemble(ctx, win, windows[s])
		if err != nil {
			return out, err
		}
		out.Windows++
		out.Traces += w.Traces
		out.Deleted += w.Deleted
		out.Linked += w.Linked
		out.SpanRead += w.Spans
	}
	if out.TooLate > 0 {
		t.log.WarnContext(ctx, "spans stored after their window's grace period were not assembled", "spans", out.TooLate, "grace", in.Grace)
	}
	if out.Late > 0 {
		t.log.InfoContext(ctx, "late spans re-assembled their traces", "spans", out.Late, "windows", out.Windows, "traces", out.Traces)
	}
	return out, nil
}

// assemble reads the window's spans with a margin on each side, links them,
// writes the links that changed, and writes the traces whose root starts
// in the window, those whose links changed and those of the focus spans.
func (t *Traces) assemble(ctx context.Context, in contract.WindowInput, focus map[string]bool) (contract.WindowOutput, error) {
	spans, err := t.store.ListSpans(ctx, store.SpanQuery{
		Since: in.From.Add(-in.Margin), Until: in.Until.Add(in.Margin), Limit: in.MaxSpans + 1})
	if err != nil {
		return contract.WindowOutput{}, fmt.Errorf("reading the spans of %s to %s: %w", in.From.Format(time.RFC3339Nano), in.Until.Format(time.RFC3339Nano), err)
	}
	if len(spans) > in.MaxSpans {
		if !in.Truncate {
			return contract.WindowOutput{TooMany: true, Spans: len(spans)}, nil
		}
		// Newest first: what is left out is the oldest part of the margin.
		spans = spans[:in.MaxSpans]
		t.log.WarnContext(ctx, "window holds more spans than a batch, assembling the newest", "from", in.From, "max_spans", in.MaxSpans)
	}
	before := make(map[string]store.SpanLink, len(spans))
	for i := range spans {
		before[spans[i].ID] = store.LinkOf(&spans[i])
	}
	pipeline.Run(spans, t.opts)

	var links []store.SpanLink
	dirty := map[string]bool{}  // trace ids (after) with a changed span
	oldIDs := map[string]bool{} // trace ids (before) a span left
	for i := range spans {
		now := store.LinkOf(&spans[i])
		if was := before[spans[i].ID]; now != was {
			links = append(links, now)
			dirty[now.TraceID] = true
			if was.TraceID != now.TraceID {
				oldIDs[was.TraceID] = true
			}
		}
	}
	groups := map[string][]span.Span{}
	for i := range spans {
		id := spans[i].Trace.ID
		groups[id] = append(groups[id], spans[i])
		if focus[spans[i].ID] {
			dirty[id] = true
		}
	}
	assembledAt := t.now().UTC()
	var traces []store.Trace
	orphans := 0
	for id, g := range groups {
		start := earliest(g)
		owned := !start.Before(in.From) && start.Before(in.Until)
		if !owned && !(dirty[id] && start.Before(in.Until)) {
			continue
		}
		doc, ok := traceDoc(g, assembledAt)
		if !ok {
			orphans++ // its root is outside what was read: the window that read it wrote it
			continue
		}
		traces = append(traces, doc)
	}
	slices.SortFunc(traces, func(a, b store.Trace) int { return a.Start.Compare(b.Start) })
	var deleted []string
	for id := range oldIDs {
		if _, still := groups[id]; !still {
			deleted = append(deleted, id)
		}
	}
	slices.Sort(deleted)

	if err := t.store.LinkSpans(ctx, links); err != nil {
		return contract.WindowOutput{}, fmt.Errorf("writing the links of %d spans: %w", len(links), err)
	}
	if err := t.store.WriteTraces(ctx, traces, deleted); err != nil {
		return contract.WindowOutput{}, fmt.Errorf("writing %d traces: %w", len(traces), err)
	}
	if orphans > 0 {
		t.log.DebugContext(ctx, "traces whose root was not read left as stored", "traces", orphans, "from", in.From)
	}
	return contract.WindowOutput{Spans: len(spans), Traces: len(traces), Deleted: len(deleted), Linked: len(links)}, nil
}

func earliest(spans []span.Span) time.Time {
	t := spans[0].Timestamp
	for i := range spans[1:] {
		if s := spans[i+1].Timestamp; s.Before(t) {
			t = s
		}
	}
	return t
}
