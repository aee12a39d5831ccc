package check

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkHTTPCheck is one run of a one-step GET monitor, new connection
// included (every run dials, as in production).
func BenchmarkHTTPCheck(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok","version":"1.2.3"}`)
	}))
	defer srv.Close()
	r := newTestRunner(b)
	m := httpMonitor(get("health", srv.URL+"/health", "status == 200", `json.status == "ok"`))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := r.Run(ctx, m)
		if err != nil || !res.Up() {
			b.Fatalf("run: %v %+v", err, res.Error)
		}
	}
}
