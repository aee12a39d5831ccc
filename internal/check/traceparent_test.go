package check

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
)

var sentRE = regexp.MustCompile(`^00-([0-9a-f]{32})-([0-9a-f]{16})-01$`)

// headerLog is a server that keeps the traceparent of every request.
type headerLog struct {
	mu   sync.Mutex
	sent map[string][]string // path -> traceparents
}

func traceServer(t *testing.T) (*httptest.Server, *headerLog) {
	t.Helper()
	hl := &headerLog{sent: map[string][]string{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hl.mu.Lock()
		hl.sent[r.URL.Path] = append(hl.sent[r.URL.Path], r.Header.Get("Traceparent"))
		hl.mu.Unlock()
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/new", http.StatusFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, hl
}

// TestHTTPPropagatesTraceContext: each step's requests, redirect hops
// included, carry a valid traceparent of the step's own trace with a fresh
// span id each; the result lists the traces by step (trace.id is the
// first); a monitor's own traceparent wins and is the step's trace; off
// sends none.
func TestHTTPPropagatesTraceContext(t *testing.T) {
	const own = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	for _, tc := range []struct {
		name  string
		tp    *monitor.Traceparent
		steps func(url string) []monitor.Step
		check func(t *testing.T, res result.Result, hl *headerLog)
	}{
		{"a trace per step, a span per request", nil,
			func(u string) []monitor.Step { return []monitor.Step{get("a", u+"/a"), get("moved", u+"/old")} },
			func(t *testing.T, res result.Result, hl *headerLog) {
				tr := res.Vigil.Traces
				if len(tr) != 2 || tr[0].Step != 1 || tr[1].Step != 2 || tr[0].Requests != 1 || tr[1].Requests != 2 || tr[0].ID == tr[1].ID || tr[1].StepName != "moved" {
					t.Fatalf("traces = %+v, want step 1 (1 request) and step 2 (2: the redirect hop)", tr)
				}
				if res.Trace == nil || res.Trace.ID != tr[0].ID || res.Steps[1].Details["trace_id"] != tr[1].ID {
					t.Errorf("trace.id = %+v, step details %v: want the first trace and each step's", res.Trace, res.Steps[1].Details)
				}
				spans := map[string]bool{}
				for path, want := range map[string]string{"/a": tr[0].ID, "/old": tr[1].ID, "/new": tr[1].ID} {
					for _, tp := range hl.sent[path] {
						m := sentRE.FindStringSubmatch(tp)
						if m == nil || m[1] != want {
							t.Errorf("%s carried %q, want 00-%s-<16 hex>-01", path, tp, want)
							continue
						}
						if spans[m[2]] {
							t.Errorf("%s reused span id %s", path, m[2])
						}
						spans[m[2]] = true
					}
				}
				if len(spans) != 3 {
					t.Errorf("%d distinct span ids, want 3: %v", len(spans), hl.sent)
				}
			}},
		{"the monitor's own traceparent wins", nil,
			func(u string) []monitor.Step {
				s := get("own", u+"/a")
				s.Request.Headers = map[string]string{"traceparent": own}
				return []monitor.Step{s}
			},
			func(t *testing.T, res result.Result, hl *headerLog) {
				if got := hl.sent["/a"]; len(got) != 1 || got[0] != own {
					t.Errorf("sent %q, want the monitor's %q", got, own)
				}
				if len(res.Vigil.Traces) != 1 || res.Vigil.Traces[0].ID != "0af7651916cd43dd8448eb211c80319c" {
					t.Errorf("traces = %+v, want the monitor's trace", res.Vigil.Traces)
				}
			}},
		{"the monitor's own header, not a traceparent", nil,
			func(u string) []monitor.Step {
				s := get("own", u+"/a")
				s.Request.Headers = map[string]string{"Traceparent": "none"}
				return []monitor.Step{s}
			},
			func(t *testing.T, res result.Result, hl *headerLog) {
				if got := hl.sent["/a"]; len(got) != 1 || got[0] != "none" {
					t.Errorf("sent %q, want the monitor's", got)
				}
				if len(res.Vigil.Traces) != 0 || res.Trace != nil {
					t.Errorf("traces = %+v, want none", res.Vigil.Traces)
				}
			}},
		{"off", &monitor.Traceparent{Off: true},
			func(u string) []monitor.Step { return []monitor.Step{get("a", u+"/a")} },
			func(t *testing.T, res result.Result, hl *headerLog) {
				if got := hl.sent["/a"]; len(got) != 1 || got[0] != "" {
					t.Errorf("sent %q, want no traceparent", got)
				}
				if res.Trace != nil || len(res.Vigil.Traces) != 0 {
					t.Errorf("trace %+v, traces %+v: want none", res.Trace, res.Vigil.Traces)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, hl := traceServer(t)
			m := httpMonitor(tc.steps(srv.URL)...)
			m.Traceparent = tc.tp
			res := runOnce(t, newTestRunner(t), m)
			wantStatus(t, res, result.StatusUp)
			tc.check(t, res, hl)
		})
	}
}

// TestBrowserMonitorListsTraces: a browser monitor's result lists the trace
// of each step that sent requests, and the server saw them.
func TestBrowserMonitorListsTraces(t *testing.T) {
	needChromium(t)
	srv, hl := traceServer(t)
	m := monitor.Monitor{ID: "traced", Type: monitor.TypeBrowser, Timeout: monitor.Duration(30 * time.Second), Steps: []monitor.Step{
		{Name: "home", Goto: srv.URL + "/a"},
		{Name: "shot", Screenshot: "home"},
		{Name: "next", Goto: srv.URL + "/old"},
	}}
	res, err := newTestRunner(t).Run(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	tr := res.Vigil.Traces
	if len(tr) != 2 || tr[0].Step != 1 || tr[0].StepName != "home" || tr[1].Step != 3 || res.Trace == nil || res.Trace.ID != tr[0].ID {
		t.Fatalf("traces = %+v (trace.id %+v), want steps 1 and 3", tr, res.Trace)
	}
	if res.Steps[2].Details["trace_id"] != tr[1].ID {
		t.Errorf("step 3 details %v, want trace_id %s", res.Steps[2].Details, tr[1].ID)
	}
	hl.mu.Lock()
	defer hl.mu.Unlock()
	for path, want := range map[string]string{"/a": tr[0].ID, "/old": tr[1].ID, "/new": tr[1].ID} {
		got := hl.sent[path]
		if len(got) == 0 {
			t.Errorf("no request to %s", path)
		}
		for _, tp := range got {
			if m := sentRE.FindStringSubmatch(tp); m == nil || m[1] != want {
				t.Errorf("%s carried %q, want trace %s", path, tp, want)
			}
		}
	}
}
