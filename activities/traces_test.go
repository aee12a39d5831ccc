package activities

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/correlate/pipeline"
	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/store/sqlite"
	"github.com/vigil-dev/vigil/internal/store/storetest"
)

// t0 starts a window (a multiple of 10 s).
var t0 = time.Date(2026, 3, 14, 15, 9, 20, 0, time.UTC)

func newTraceEnv(t testing.TB, now time.Time) (*Traces, *sqlite.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	a := NewTraces(st, pipeline.Options{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a.now = func() time.Time { return now }
	return a, st
}

// calls stores n calls frontend -> checkout starting at `at`, 1 s apart,
// and returns their client spans (the roots to be).
func calls(t testing.TB, st store.SpanWriter, prefix string, n int, at time.Time) []span.Span {
	t.Helper()
	var roots, all []span.Span
	for i := range n {
		c, s := storetest.NewCall(fmt.Sprintf("%s%d", prefix, i), "frontend", "checkout", len(prefix)*100+i, at.Add(time.Duration(i)*time.Second), 200*time.Millisecond)
		roots = append(roots, c)
		all = append(all, c, s)
	}
	require.NoError(t, st.WriteSpans(context.Background(), all))
	return roots
}

func window(from time.Time) contract.WindowInput {
	return contract.WindowInput{From: from, Until: from.Add(10 * time.Second), Margin: 5 * time.Second, MaxSpans: 1000}
}

func TestAssembleTraceWindowWritesEachTraceOnce(t *testing.T) {
	ctx := context.Background()
	a, st := newTraceEnv(t, t0.Add(15*time.Second))
	roots := calls(t, st, "a", 3, t0.Add(time.Second))
	calls(t, st, "b", 1, t0.Add(10*time.Second)) // the next window's

	out, err := a.AssembleTraceWindow(ctx, window(t0))
	require.NoError(t, err)
	// The next window's call is in the margin: linked, not written. Each
	// server span's own trace id is merged into its client's.
	require.Equal(t, contract.WindowOutput{Spans: 8, Traces: 3, Linked: 4, Deleted: 4}, out)

	traces, err := st.ListTraces(ctx, store.TraceQuery{})
	require.NoError(t, err)
	require.Len(t, traces, 3, "the next window's call is left to it")
	for i, tr := range traces {
		root := roots[len(roots)-1-i] // newest first
		require.Equal(t, root.Trace.ID, tr.ID, "a trace's id is its root's trace id")
		require.Equal(t, store.TraceRoot{SpanID: root.ID, Service: "frontend", Name: "GET /checkout"}, tr.Root)
		require.Equal(t, 2, tr.Spans)
		require.Equal(t, []string{root.ID, root.ID[:len(root.ID)-len("client")] + "server"}, tr.SpanIDs)
		require.Equal(t, tr.SpanIDs, tr.CriticalPath)
		require.Equal(t, int64(200_000), tr.DurationUS)
		require.Len(t, tr.Services, 2)
	}
	server, err := st.GetSpan(ctx, "a0-server")
	require.NoError(t, err)
	require.Equal(t, roots[0].Trace.ID, server.Trace.ID, "the link is written back")
	require.Equal(t, &span.Parent{ID: roots[0].Span.ID}, server.Parent)
	require.Equal(t, "4-tuple", server.Vigil.ParentHow)

	// A retried batch writes the same documents and no link.
	again, err := a.AssembleTraceWindow(ctx, window(t0))
	require.NoError(t, err)
	require.Equal(t, contract.WindowOutput{Spans: 8, Traces: 3}, again)
	after, err := st.ListTraces(ctx, store.TraceQuery{})
	require.NoError(t, err)
	require.Equal(t, traces, after)
}

func TestAssembleTraceWindowSplitsWhenTooMany(t *testing.T) {
	ctx := context.Background()
	a, st := newTraceEnv(t, t0.Add(15*time.Second))
	calls(t, st, "a", 3, t0.Add(time.Second))
	in := window(t0)
	in.MaxSpans = 4
	out, err := a.AssembleTraceWindow(ctx, in)
	require.NoError(t, err)
	require.True(t, out.TooMany)
	traces, err := st.ListTraces(ctx, store.TraceQuery{})
	require.NoError(t, err)
	require.Empty(t, traces, "nothing is written for a window to split")

	in.Truncate = true
	out, err = a.AssembleTraceWindow(ctx, in)
	require.NoError(t, err)
	require.False(t, out.TooMany)
	require.Equal(t, 2, out.Traces, "the newest spans of a window that cannot split")
}

// A client span stored after its window was assembled makes the server
// span, assembled alone, its child: one trace replaces the two.
func TestLateSpanReassemblesItsTrace(t *testing.T) {
	ctx := context.Background()
	a, st := newTraceEnv(t, t0.Add(12*time.Second))
	client, server := storetest.NewCall("late", "frontend", "checkout", 7, t0.Add(2*time.Second), 300*time.Millisecond)
	require.NoError(t, st.WriteSpans(ctx, []span.Span{server}))
	_, err := a.AssembleTraceWindow(ctx, window(t0))
	require.NoError(t, err)
	alone, err := st.GetTrace(ctx, server.Trace.ID)
	require.NoError(t, err)
	require.Equal(t, 1, alone.Spans)
	cursor, err := st.SpansStoredAfter(ctx, store.StoredQuery{})
	require.NoError(t, err)

	require.NoError(t, st.WriteSpans(ctx, []span.Span{client}))
	late := contract.LateInput{Cursor: cursor.Next, AssembledUntil: t0.Add(10 * time.Second), Window: 10 * time.Second,
		Grace: time.Minute, Margin: 5 * time.Second, MaxSpans: 1000}
	out, err := a.AssembleLateSpans(ctx, late)
	require.NoError(t, err)
	require.Equal(t, 1, out.Late)
	require.Equal(t, 1, out.Windows)
	require.Equal(t, 1, out.Deleted, "the server's own trace is merged")
	require.NotEqual(t, cursor.Next, out.Next)

	traces, err := st.ListTraces(ctx, store.TraceQuery{})
	require.NoError(t, err)
	require.Len(t, traces, 1)
	require.Equal(t, client.Trace.ID, traces[0].ID)
	require.Equal(t, []string{client.ID, server.ID}, traces[0].SpanIDs)

	// Read again from the new cursor: nothing is late any more.
	late.Cursor = out.Next
	out, err = a.AssembleLateSpans(ctx, late)
	require.NoError(t, err)
	require.Zero(t, out.Late)
}

func TestLateSpanAfterGraceIsNotAssembled(t *testing.T) {
	ctx := context.Background()
	a, st := newTraceEnv(t, t0.Add(2*time.Minute))
	calls(t, st, "first", 1, t0.Add(110*time.Second))
	cursor, err := st.SpansStoredAfter(ctx, store.StoredQuery{})
	require.NoError(t, err)
	calls(t, st, "a", 1, t0.Add(time.Second)) // its window ended 110 s ago
	late := contract.LateInput{Cursor: cursor.Next, AssembledUntil: t0.Add(2 * time.Minute), Window: 10 * time.Second,
		Grace: 30 * time.Second, Margin: 5 * time.Second, MaxSpans: 1000}
	out, err := a.AssembleLateSpans(ctx, late)
	require.NoError(t, err)
	require.Equal(t, 2, out.TooLate, "counted")
	require.Zero(t, out.Late)
	require.Zero(t, out.Windows)
	traces, err := st.ListTraces(ctx, store.TraceQuery{})
	require.NoError(t, err)
	require.Empty(t, traces)

	// A first run (no cursor) takes the store's history for unassembled,
	// not late: it is neither read nor counted.
	late.Cursor = ""
	out, err = a.AssembleLateSpans(ctx, late)
	require.NoError(t, err)
	require.Zero(t, out.TooLate)
}

func TestPlanAndAdvanceTraceWatermark(t *testing.T) {
	ctx := context.Background()
	now := t0.Add(93 * time.Second)
	a, _ := newTraceEnv(t, now)
	in := contract.AssembleInput{Window: 10 * time.Second, Grace: 30 * time.Second}
	plan, err := a.PlanTraceAssembly(ctx, in)
	require.NoError(t, err)
	require.Equal(t, contract.TracePlan{AssembledUntil: t0.Add(60 * time.Second), Now: now}, plan,
		"a first run starts a grace period back, on a window boundary")

	require.NoError(t, a.AdvanceTraceWatermark(ctx, contract.AdvanceInput{AssembledUntil: t0.Add(70 * time.Second), StoredCursor: "12"}))
	plan, err = a.PlanTraceAssembly(ctx, in)
	require.NoError(t, err)
	require.Equal(t, contract.TracePlan{AssembledUntil: t0.Add(70 * time.Second), StoredCursor: "12", Now: now}, plan)
}
