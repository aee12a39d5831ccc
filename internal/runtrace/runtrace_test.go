package runtrace

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store/sqlite"
	"github.com/vigil-dev/vigil/internal/store/storetest"
)

const (
	traceHome = "4bf92f3577b34da6a3ce929d0e0e4736"
	traceBuy  = "0af7651916cd43dd8448eb211c80319c"
	traceNone = "11111111111111111111111111111111"
)

func newSpan(id, service, kind, name, trace string, at time.Time, d time.Duration) span.Span {
	s := storetest.NewSpan(id, service, at)
	s.Trace.ID, s.Span.Kind, s.Span.Name, s.Span.Duration.US = trace, kind, name, d.Microseconds()
	return s
}

func run(at time.Time) result.Result {
	return result.Result{ID: "run-1", Timestamp: at, Vigil: result.Vigil{StartedAt: at, FinishedAt: at.Add(2 * time.Second),
		Traces: []result.RunTrace{{ID: traceHome, Step: 1, Requests: 3}, {ID: traceBuy, Step: 3, Requests: 1}, {ID: traceNone, Step: 4, Requests: 1}}}}
}

// TestResolveFromTheStore: spans written to the real sqlite store under the
// run's traces resolve at read time to each trace's slowest server span and
// the run's; client spans and other traces do not count; before the spans
// arrive, nothing is resolved and nothing fails.
func TestResolveFromTheStore(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Now().UTC().Truncate(time.Millisecond)

	early := run(at)
	if err := Resolve(ctx, st, &early); err != nil {
		t.Fatal(err)
	}
	if early.Vigil.SlowestSpan != nil || early.Vigil.Traces[0].SlowestSpan != nil {
		t.Fatalf("resolved before any span arrived: %+v", early.Vigil)
	}

	spans := []span.Span{
		newSpan("a1", "frontend", span.KindServer, "GET /", traceHome, at.Add(10*time.Millisecond), 40*time.Millisecond),
		newSpan("a2", "cart", span.KindServer, "GET /api/cart", traceHome, at.Add(20*time.Millisecond), 12*time.Millisecond),
		newSpan("a3", "vigil", span.KindClient, "GET /", traceHome, at, 900*time.Millisecond), // the monitor's own call
		newSpan("b1", "checkout", span.KindServer, "POST /api/orders", traceBuy, at.Add(time.Second), 812*time.Millisecond),
		newSpan("b2", "payments", span.KindServer, "POST /charge", traceBuy, at.Add(time.Second), 700*time.Millisecond),
		newSpan("x1", "batch", span.KindServer, "POST /nightly", "22222222222222222222222222222222", at, 5*time.Second),
	}
	if err := st.WriteSpans(ctx, spans); err != nil {
		t.Fatal(err)
	}
	res := run(at)
	if err := Resolve(ctx, st, &res); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name           string
		got            *result.SpanRef
		spans          int
		wantService    string
		wantName, want string
		wantUS         int64
		wantStep       int
	}{
		{"home", res.Vigil.Traces[0].SlowestSpan, res.Vigil.Traces[0].Spans, "frontend", "GET /", traceHome, 40_000, 1},
		{"buy", res.Vigil.Traces[1].SlowestSpan, res.Vigil.Traces[1].Spans, "checkout", "POST /api/orders", traceBuy, 812_000, 3},
		{"run", res.Vigil.SlowestSpan, -1, "checkout", "POST /api/orders", traceBuy, 812_000, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.got
			if s == nil {
				t.Fatalf("no slowest span")
			}
			if s.Service != tc.wantService || s.Name != tc.wantName || s.TraceID != tc.want || s.Duration.US != tc.wantUS || s.Step != tc.wantStep || len(s.SpanID) != 16 {
				t.Errorf("slowest = %+v, want %s %s %d us in trace %s, step %d", s, tc.wantService, tc.wantName, tc.wantUS, tc.want, tc.wantStep)
			}
			if tc.spans >= 0 && tc.spans < 2 {
				t.Errorf("spans = %d", tc.spans)
			}
		})
	}
	if n := res.Vigil.Traces[2]; n.SlowestSpan != nil || n.Spans != 0 {
		t.Errorf("a trace without spans resolved to %+v", n)
	}

	legacy := result.Result{ID: "old", Timestamp: at, Trace: &result.Trace{ID: traceBuy}}
	if err := Resolve(ctx, st, &legacy); err != nil {
		t.Fatal(err)
	}
	if len(legacy.Vigil.Traces) != 1 || legacy.Vigil.SlowestSpan == nil || legacy.Vigil.SlowestSpan.Name != "POST /api/orders" {
		t.Errorf("a result with only trace.id resolved to %+v", legacy.Vigil)
	}

	got, err := Slowest(ctx, st, at, []string{traceHome, traceBuy, traceNone})
	if err != nil || got == nil || got.SpanID != spans[3].Span.ID {
		t.Errorf("Slowest = %+v, %v; want span %s", got, err, spans[3].Span.ID)
	}
	if got, err := Slowest(ctx, st, at, []string{traceNone}); err != nil || got != nil {
		t.Errorf("Slowest of a trace without spans = %+v, %v", got, err)
	}
}
