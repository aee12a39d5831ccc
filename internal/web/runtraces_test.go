package web_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store/storetest"
	"github.com/vigil-dev/vigil/internal/web"
)

// TestGetRunResolvesTraces: /api/runs/{id} lists the run's traces with the
// slowest backend span the store holds now, per trace and for the run.
func TestGetRunResolvesTraces(t *testing.T) {
	st := openStore(t)
	const buy = "0af7651916cd43dd8448eb211c80319c"
	run := storetest.NewResult("run-t1", "shop", storetest.Base)
	run.Vigil.Traces = []result.RunTrace{{ID: buy, Step: 2, StepName: "buy", Requests: 1}}
	orders := storetest.NewSpan("s-orders", "checkout", run.Vigil.StartedAt.Add(time.Second))
	orders.Trace.ID, orders.Span.Name, orders.Span.Duration.US = buy, "POST /api/orders", 812_000
	require.NoError(t, st.WriteResults(t.Context(), []result.Result{run}))
	require.NoError(t, st.WriteSpans(t.Context(), []span.Span{orders}))

	rec := get(t, web.Handler(deps(t, st, nil)), "/api/runs/run-t1")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var got result.Result
	decode(t, rec, &got)
	require.Len(t, got.Vigil.Traces, 1)
	want := &result.SpanRef{Service: "checkout", Name: "POST /api/orders", Duration: result.Micros{US: 812_000},
		SpanID: orders.Span.ID, TraceID: buy, Step: 2}
	assert.Equal(t, want, got.Vigil.Traces[0].SlowestSpan)
	assert.Equal(t, want, got.Vigil.SlowestSpan)
	assert.Equal(t, 1, got.Vigil.Traces[0].Spans)
}
