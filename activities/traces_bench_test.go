package activities

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/store/storetest"
)

// BenchmarkAssembleTraceWindow: a 10 s window of 5,000 calls (10,000
// spans, stored as the agent writes them, in batches of 1,000), assembled
// for the first time: read, linked, links written back, traces written.
func BenchmarkAssembleTraceWindow(b *testing.B) {
	ctx := context.Background()
	const calls = 5000
	for b.Loop() {
		b.StopTimer()
		a, st := newTraceEnv(b, t0.Add(time.Minute))
		var batch []span.Span
		for i := range calls {
			c, s := storetest.NewCall(fmt.Sprintf("c%d", i), "frontend", "checkout", i, t0.Add(time.Duration(i)*2*time.Millisecond), time.Millisecond)
			batch = append(batch, c, s)
			if len(batch) == 1000 {
				if err := st.WriteSpans(ctx, batch); err != nil {
					b.Fatal(err)
				}
				batch = batch[:0]
			}
		}
		b.StartTimer()
		in := window(t0)
		in.MaxSpans = 20_000
		out, err := a.AssembleTraceWindow(ctx, in)
		if err != nil || out.Traces != calls {
			b.Fatalf("%+v %v", out, err)
		}
		b.StopTimer()
		if n, _ := st.ListTraces(ctx, store.TraceQuery{Limit: 10}); len(n) != 10 {
			b.Fatal("no traces")
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(2*calls*b.N)/b.Elapsed().Seconds(), "spans/s")
}
