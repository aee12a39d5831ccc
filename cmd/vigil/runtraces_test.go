package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store/sqlite"
	"github.com/vigil-dev/vigil/internal/store/storetest"
)

// TestRunsGetTraces: vigil runs get shows the traces a run started with the
// slowest backend span the store holds for each, as JSON and as a table.
func TestRunsGetTraces(t *testing.T) {
	isolateEnv(t)
	dir := t.TempDir()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "vigil.db"), sqlite.Options{Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	const home, buy = "4bf92f3577b34da6a3ce929d0e0e4736", "0af7651916cd43dd8448eb211c80319c"
	run := storetest.NewResult("run-t1", "shop", storetest.Base)
	run.Vigil.Traces = []result.RunTrace{{ID: home, Step: 1, StepName: "home", Requests: 5}, {ID: buy, Step: 3, StepName: "buy", Requests: 1}}
	quiet := storetest.NewResult("run-t2", "shop", storetest.Base.Add(time.Minute))
	quiet.Trace, quiet.Vigil.Traces = nil, nil
	orders := storetest.NewSpan("s-orders", "checkout", run.Vigil.StartedAt.Add(time.Second))
	orders.Trace.ID, orders.Span.Name, orders.Span.Duration.US = buy, "POST /api/orders", 812_000
	page := storetest.NewSpan("s-page", "frontend", run.Vigil.StartedAt)
	page.Trace.ID, page.Span.Name, page.Span.Duration.US = home, "GET /", 40_000
	if err := st.WriteResults(ctx, []result.Result{run, quiet}); err != nil {
		t.Fatal(err)
	}
	if err := st.WriteSpans(ctx, []span.Span{orders, page}); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()

	for _, tc := range []struct {
		name  string
		args  []string
		check func(t *testing.T, stdout string)
	}{
		{"table", []string{"runs", "get", "--data-dir", dir, "--traces", "run-t1"}, func(t *testing.T, out string) {
			for _, re := range []string{
				`(?m)^STEP\s+NAME\s+TRACE\s+REQUESTS\s+SPANS\s+SLOWEST BACKEND SPAN$`,
				`(?m)^1\s+home\s+` + home + `\s+5\s+1\s+frontend GET / 40ms \(span ` + page.Span.ID + `\)$`,
				`(?m)^3\s+buy\s+` + buy + `\s+1\s+1\s+checkout POST /api/orders 812ms \(span ` + orders.Span.ID + `\)$`,
				`(?m)^slowest backend span: checkout POST /api/orders 812ms \(trace ` + buy + `, step 3\); vigil traces get ` + buy + `$`,
			} {
				if !regexp.MustCompile(re).MatchString(out) {
					t.Errorf("output lacks %s:\n%s", re, out)
				}
			}
		}},
		{"json", []string{"runs", "get", "--data-dir", dir, "run-t1"}, func(t *testing.T, out string) {
			var r result.Result
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			s := r.Vigil.SlowestSpan
			if s == nil || s.Service != "checkout" || s.SpanID != orders.Span.ID || s.TraceID != buy || s.Duration.US != 812_000 ||
				len(r.Vigil.Traces) != 2 || r.Vigil.Traces[0].SlowestSpan == nil || r.Vigil.Traces[0].SlowestSpan.Name != "GET /" {
				t.Errorf("vigil = %+v", r.Vigil)
			}
		}},
		{"a run without traces", []string{"runs", "get", "--data-dir", dir, "--traces", "run-t2"}, func(t *testing.T, out string) {
			if out != "run run-t2 sent no traceparent\n" {
				t.Errorf("output %q", out)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, tc.args...)
			if r.err != nil {
				t.Fatalf("error %v; stderr %s", r.err, r.stderr)
			}
			tc.check(t, r.stdout)
		})
	}
}
