package browser

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// BenchmarkPropagation runs the same journey with and without traceparent
// propagation: a page of 40 images, 4 scripts and 10 XHRs (55 intercepted
// requests), then a click that POSTs. steps-ms is the journey without the
// browser start; startup-ms the start (Fetch.enable is part of it).
func BenchmarkPropagation(b *testing.B) {
	if DefaultChromiumPath() == "" {
		b.Skip("chromium not installed")
	}
	var page strings.Builder
	page.WriteString(`<!doctype html><html><head><title>Bench</title>`)
	for i := range 4 {
		fmt.Fprintf(&page, `<script src="/s%d.js"></script>`, i)
	}
	page.WriteString(`</head><body>`)
	for i := range 40 {
		fmt.Fprintf(&page, `<img src="/i%d.png" width="4" height="4">`, i)
	}
	page.WriteString(`<button id="buy" onclick="fetch('/api/orders',{method:'POST'}).then(r=>r.text()).then(t=>document.getElementById('out').textContent=t)">buy</button><div id="out"></div>
<script>for (let i = 0; i < 10; i++) { fetch('/api/x' + i); }</script></body></html>`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/":
			fmt.Fprint(w, page.String())
		case strings.HasSuffix(r.URL.Path, ".js"):
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprint(w, "void 0;")
		case r.URL.Path == "/api/orders":
			fmt.Fprint(w, "order placed")
		default:
			w.Header().Set("Content-Type", "image/png")
		}
	}))
	defer srv.Close()
	r := NewRunner(Options{Logger: slog.New(slog.DiscardHandler)})
	journey := func(prop *Propagation) (steps, gotoStep, startup time.Duration) {
		res, err := r.Run(context.Background(), Journey{Name: "bench", Propagation: prop, Steps: []Step{
			{Action: ActionGoto, URL: srv.URL + "/"},
			{Action: ActionWaitFor, State: StateNetworkIdle},
			{Action: ActionClick, Selector: "#buy"},
			{Action: ActionWaitFor, State: StateText, Selector: "#out", Text: "order placed"},
		}})
		if err != nil {
			b.Fatal(err)
		}
		for _, s := range res.Steps {
			if s.Index != 1 { // network idle waits 500 ms by design
				steps += s.Duration
			}
		}
		return steps, res.Steps[0].Duration, res.Startup
	}
	// Interleaved, so the load of a shared machine falls on both alike.
	var sum [2][3]time.Duration
	for b.Loop() {
		for i, prop := range []*Propagation{nil, {}} {
			st, g, su := journey(prop)
			sum[i][0] += st
			sum[i][1] += g
			sum[i][2] += su
		}
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	for i, name := range []string{"off", "on"} {
		b.ReportMetric(ms(sum[i][0]), name+"-steps-ms/op")
		b.ReportMetric(ms(sum[i][1]), name+"-goto-ms/op")
		b.ReportMetric(ms(sum[i][2]), name+"-startup-ms/op")
	}
}
