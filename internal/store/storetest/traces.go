package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
)

// NewTrace returns a trace document of two services started at `at`.
func NewTrace(id string, at time.Time, services ...string) store.Trace {
	if len(services) == 0 {
		services = []string{"frontend", "checkout"}
	}
	t := store.Trace{
		ID:           id,
		Root:         store.TraceRoot{SpanID: id + "-root", Service: services[0], Name: "GET /checkout"},
		Start:        at.UTC(),
		DurationUS:   42_000,
		Spans:        len(services),
		Errors:       1,
		Roots:        1,
		CriticalPath: []string{id + "-root"},
		AssembledAt:  at.Add(15 * time.Second).UTC(),
	}
	for i, name := range services {
		t.Services = append(t.Services, store.TraceService{Name: name, Spans: 1, Errors: i % 2, DurationUS: int64(42_000 - i)})
		t.SpanIDs = append(t.SpanIDs, fmt.Sprintf("%s-%d", id, i))
	}
	return t
}

func writeTraces(t *testing.T, s store.Store, deleted []string, traces ...store.Trace) {
	t.Helper()
	require.NoError(t, s.WriteTraces(context.Background(), traces, deleted))
}

func listTraces(t *testing.T, s store.Store, q store.TraceQuery) []store.Trace {
	t.Helper()
	got, err := s.ListTraces(context.Background(), q)
	require.NoError(t, err)
	return got
}

func traceIDs(traces []store.Trace) []string {
	out := make([]string, len(traces))
	for i := range traces {
		out[i] = traces[i].ID
	}
	return out
}

func testTraceRoundTrip(t *testing.T, s store.Store) {
	want := NewTrace("t1", Base)
	writeTraces(t, s, nil, want)
	got, err := s.GetTrace(context.Background(), "t1")
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.Equal(t, []store.Trace{want}, listTraces(t, s, store.TraceQuery{}))
}

// testTraceWriteReplaces: a retried or re-assembled trace replaces the
// document of its id, and a merged trace's id is deleted in the same write.
func testTraceWriteReplaces(t *testing.T, s store.Store) {
	first := NewTrace("t1", Base)
	writeTraces(t, s, nil, first, NewTrace("t2", Base.Add(time.Second)))
	writeTraces(t, s, nil, first) // a retry
	require.Len(t, listTraces(t, s, store.TraceQuery{}), 2)

	merged := NewTrace("t1", Base, "frontend", "checkout", "payments")
	writeTraces(t, s, []string{"t2"}, merged)
	got := listTraces(t, s, store.TraceQuery{})
	require.Equal(t, []store.Trace{merged}, got)
	_, err := s.GetTrace(context.Background(), "t2")
	require.True(t, errors.Is(err, store.ErrNotFound), "deleted trace: %v", err)
	require.NoError(t, s.WriteTraces(context.Background(), nil, nil), "an empty write is a no-op")
}

func testTraceGetMissing(t *testing.T, s store.Store) {
	_, err := s.GetTrace(context.Background(), "nope")
	require.True(t, errors.Is(err, store.ErrNotFound), "got %v", err)
}

func testTraceListFilters(t *testing.T, s store.Store) {
	writeTraces(t, s, nil,
		NewTrace("a", Base, "frontend", "checkout"),
		NewTrace("b", Base.Add(time.Second), "frontend"),
		NewTrace("c", Base.Add(time.Second), "checkout-v2"),
		NewTrace("d", Base.Add(2*time.Second), "payments", "checkout"),
	)
	cases := []struct {
		name string
		q    store.TraceQuery
		want []string
	}{
		{"all, newest first, ties by id descending", store.TraceQuery{}, []string{"d", "c", "b", "a"}},
		{"service matches a whole name", store.TraceQuery{Service: "checkout"}, []string{"d", "a"}},
		{"since inclusive", store.TraceQuery{Since: Base.Add(time.Second)}, []string{"d", "c", "b"}},
		{"until exclusive", store.TraceQuery{Until: Base.Add(time.Second)}, []string{"a"}},
		{"limit", store.TraceQuery{Limit: 2}, []string{"d", "c"}},
		{"none", store.TraceQuery{Service: "nope"}, []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, traceIDs(listTraces(t, s, tc.q)))
		})
	}
}

// testSpanLink: links land in the stored span and nothing else changes;
// the span is found by its new trace id; linking again changes nothing.
func testSpanLink(t *testing.T, s store.Store) {
	ctx := context.Background()
	parent := NewSpan("parent", "frontend", Base)
	child := NewSpan("child", "checkout", Base.Add(time.Millisecond))
	child.Parent, child.Vigil.TraceFromTraffic = nil, false
	writeSpans(t, s, parent, child)
	before := getSpan(t, s, "child")

	link := store.SpanLink{SpanID: "child", Timestamp: child.Timestamp, TraceID: parent.Trace.ID,
		ParentID: parent.Span.ID, How: "4-tuple", Confidence: 0.9}
	unknown := store.SpanLink{SpanID: "pruned", Timestamp: Base, TraceID: "x"}
	for range 2 {
		require.NoError(t, s.LinkSpans(ctx, []store.SpanLink{link, unknown}))
		got := getSpan(t, s, "child")
		want := before
		want.Trace.ID = parent.Trace.ID
		want.Parent = &span.Parent{ID: parent.Span.ID}
		want.Vigil.ParentHow, want.Vigil.ParentConfidence = "4-tuple", 0.9
		require.Equal(t, want, got)
	}
	byTrace, err := s.ListSpans(ctx, store.SpanQuery{TraceID: parent.Trace.ID})
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"parent", "child"}, spanIDs(byTrace))
	old, err := s.ListSpans(ctx, store.SpanQuery{TraceID: child.Trace.ID})
	require.NoError(t, err)
	require.Empty(t, old, "no span has the child's former trace id")

	// Unlinking (a root again) removes the parent.
	require.NoError(t, s.LinkSpans(ctx, []store.SpanLink{{SpanID: "child", Timestamp: child.Timestamp, TraceID: child.Trace.ID}}))
	got := getSpan(t, s, "child")
	require.Nil(t, got.Parent)
	require.Equal(t, child.Trace.ID, got.Trace.ID)
	require.Empty(t, got.Vigil.ParentHow)
}

// testSpansStoredAfter reads spans in the order of their writes, a page at
// a time, and a linked span is not read again.
func testSpansStoredAfter(t *testing.T, s store.Store) {
	ctx := context.Background()
	writeSpans(t, s, NewSpan("w1-a", "shop", Base.Add(time.Minute)), NewSpan("w1-b", "shop", Base))
	writeSpans(t, s, NewSpan("w2-a", "shop", Base.Add(-time.Hour)))
	writeSpans(t, s, NewSpan("w3-a", "shop", Base.Add(time.Second)))

	all, err := s.SpansStoredAfter(ctx, store.StoredQuery{Limit: 100})
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"w1-a", "w1-b", "w2-a", "w3-a"}, spanIDs(all.Spans))
	require.Equal(t, []string{"w3-a"}, spanIDs(all.Spans[3:]), "stored order")

	recent, err := s.SpansStoredAfter(ctx, store.StoredQuery{Since: Base, Limit: 100})
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"w1-a", "w1-b", "w3-a"}, spanIDs(recent.Spans), "since filters on @timestamp")
	older, err := s.SpansStoredAfter(ctx, store.StoredQuery{Until: Base.Add(time.Second), Limit: 100})
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"w1-b", "w2-a"}, spanIDs(older.Spans), "until filters on @timestamp, exclusive")
	require.Equal(t, all.Next, older.Next, "the cursor moves past the spans filtered out")

	var paged []string
	cursor := ""
	for range 10 {
		page, err := s.SpansStoredAfter(ctx, store.StoredQuery{Cursor: cursor, Limit: 1})
		require.NoError(t, err)
		if len(page.Spans) == 0 {
			require.Equal(t, cursor, page.Next, "nothing newer: same cursor")
			break
		}
		require.LessOrEqual(t, len(page.Spans), 2, "a page is about limit, one write whole")
		paged = append(paged, spanIDs(page.Spans)...)
		cursor = page.Next
	}
	require.ElementsMatch(t, []string{"w1-a", "w1-b", "w2-a", "w3-a"}, paged)

	require.NoError(t, s.LinkSpans(ctx, []store.SpanLink{{SpanID: "w3-a", Timestamp: Base.Add(time.Second), TraceID: "relinked"}}))
	after, err := s.SpansStoredAfter(ctx, store.StoredQuery{Cursor: all.Next, Limit: 100})
	require.NoError(t, err)
	require.Empty(t, after.Spans, "a linked span is not stored again")

	writeSpans(t, s, NewSpan("w4-a", "shop", Base))
	after, err = s.SpansStoredAfter(ctx, store.StoredQuery{Cursor: all.Next, Limit: 100})
	require.NoError(t, err)
	require.Equal(t, []string{"w4-a"}, spanIDs(after.Spans))
}

func testTraceWatermark(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, err := s.GetTraceWatermark(ctx)
	require.True(t, errors.Is(err, store.ErrNotFound), "got %v", err)

	w := store.TraceWatermark{AssembledUntil: Base, StoredCursor: "c1", UpdatedAt: Base.Add(time.Second)}
	require.NoError(t, s.PutTraceWatermark(ctx, w))
	got, err := s.GetTraceWatermark(ctx)
	require.NoError(t, err)
	require.Equal(t, w, got)

	same := w
	same.StoredCursor = "c2" // the late spans move on, the windows do not
	require.NoError(t, s.PutTraceWatermark(ctx, same))
	got, err = s.GetTraceWatermark(ctx)
	require.NoError(t, err)
	require.Equal(t, same, got)

	older := w
	older.AssembledUntil, older.StoredCursor = Base.Add(-time.Minute), "c0"
	require.NoError(t, s.PutTraceWatermark(ctx, older))
	got, err = s.GetTraceWatermark(ctx)
	require.NoError(t, err)
	require.Equal(t, same, got, "the watermark never goes back")
}
