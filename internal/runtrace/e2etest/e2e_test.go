// Package e2etest runs a monitor against a backend traced by the real
// eBPF agent: the backend's server spans carry the run's traces, and the
// run resolves to its slowest backend span. It needs root (BPF) and
// Chromium, and skips without them.
package e2etest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-dev/vigil/agent"
	"github.com/vigil-dev/vigil/internal/browser"
	"github.com/vigil-dev/vigil/internal/check"
	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/runtrace"
	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/store/sqlite"
)

// The backend runs in a child process: the agent never traces its own.
func TestMain(m *testing.M) {
	if os.Getenv("VIGIL_E2E_BACKEND") != "" {
		if err := serveBackend(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const ordersDelay = 300 * time.Millisecond

func serveBackend() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println(l.Addr().String())
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `<!doctype html><html><head><title>Shop</title><script src="/app.js"></script></head><body>
<img src="/logo.png" width="4" height="4">
<button id="buy" onclick="fetch('/api/orders', {method: 'POST', body: '{}'}).then(r => r.text()).then(t => document.getElementById('out').textContent = t)">buy</button>
<div id="out"></div></body></html>`)
	})
	mux.HandleFunc("GET /app.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, "window.app = 1;")
	})
	mux.HandleFunc("GET /logo.png", func(w http.ResponseWriter, _ *http.Request) { w.Header().Set("Content-Type", "image/png") })
	mux.HandleFunc("POST /api/orders", func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(ordersDelay)
		fmt.Fprint(w, "order placed")
	})
	mux.HandleFunc("GET /api/cart", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"items": 1}`) })
	return http.Serve(l, mux)
}

// storeSink hands the agent's batches to the store, as vigil agent does.
type storeSink struct{ st *sqlite.Store }

func (s storeSink) Write(ctx context.Context, batch []span.Span) error {
	return s.st.WriteSpans(ctx, batch)
}

func startBackend(t *testing.T) (addr string, port int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "VIGIL_E2E_BACKEND=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the backend: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the backend's address: %v", err)
	}
	addr = strings.TrimSpace(line)
	_, p, _ := net.SplitHostPort(addr)
	port, _ = strconv.Atoi(p)
	return addr, port
}

func startAgent(t *testing.T, st *sqlite.Store, port int) {
	t.Helper()
	cfg := config.DefaultAgent()
	cfg.BatchInterval, cfg.FlushInterval, cfg.Ports = 100*time.Millisecond, 10*time.Millisecond, []int{port}
	a, err := agent.New(agent.Options{Config: cfg, Sink: storeSink{st}, Registry: prometheus.NewRegistry(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Skipf("the agent cannot start here: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("the agent did not stop within 30s")
		}
	})
}

// TestRunsResolveToTheAgentsSpans: a browser run and an http run against a
// backend the agent traces, without any change to the backend: every
// server span of the runs' requests carries one of the runs' traces (from
// the traffic), and each run resolves to its slowest backend span, the
// slow POST the click sent.
func TestRunsResolveToTheAgentsSpans(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the agent loads BPF programs: run as root")
	}
	if browser.DefaultChromiumPath() == "" {
		t.Skip("browser monitors need Debian's chromium (apt-get install chromium)")
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	addr, port := startBackend(t)
	startAgent(t, st, port)
	time.Sleep(500 * time.Millisecond) // programs attached before the traffic

	r := check.NewRunner(check.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	base := "http://" + addr
	for _, tc := range []struct {
		name      string
		m         monitor.Monitor
		wantSpans int // server spans of the run's traffic
		wantName  string
		wantStep  int
	}{
		{"browser", monitor.Monitor{ID: "shop", Type: monitor.TypeBrowser, Timeout: monitor.Duration(30 * time.Second), Steps: []monitor.Step{
			{Name: "home", Goto: base + "/"},
			{Name: "buy", Click: "#buy"},
			{WaitFor: &monitor.WaitFor{Text: "order placed", Selector: "#out"}},
		}}, 4, "POST /api/orders", 2},
		{"http", monitor.Monitor{ID: "api", Type: monitor.TypeHTTP, Timeout: monitor.Duration(10 * time.Second), Steps: []monitor.Step{
			{Name: "cart", Request: monitor.Request{URL: base + "/api/cart"}},
			{Name: "order", Request: monitor.Request{Method: "POST", URL: base + "/api/orders", Body: "{}"}},
		}}, 2, "POST /api/orders", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := r.Run(ctx, tc.m)
			if err != nil || res.Monitor.Status != result.StatusUp {
				t.Fatalf("run: %v %+v", err, res.Error)
			}
			ids := res.TraceIDs()
			var spans []span.Span
			deadline := time.Now().Add(20 * time.Second)
			for len(spans) < tc.wantSpans && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
				spans = spans[:0]
				for _, id := range ids {
					got, err := st.ListSpans(ctx, store.SpanQuery{TraceID: id, Kind: span.KindServer, Limit: 1000})
					if err != nil {
						t.Fatal(err)
					}
					spans = append(spans, got...)
				}
			}
			if len(spans) < tc.wantSpans {
				t.Fatalf("%d server spans in the run's traces %v, want %d", len(spans), ids, tc.wantSpans)
			}
			for _, s := range spans {
				if !s.Vigil.TraceFromTraffic || !slices.Contains(ids, s.Trace.ID) || s.Parent == nil {
					t.Errorf("span %s %s: trace %s from traffic %v, parent %+v", s.Span.Name, s.ID, s.Trace.ID, s.Vigil.TraceFromTraffic, s.Parent)
				}
			}
			if err := runtrace.Resolve(ctx, st, &res); err != nil {
				t.Fatal(err)
			}
			s := res.Vigil.SlowestSpan
			if s == nil || s.Name != tc.wantName || s.Step != tc.wantStep || s.Duration.US < ordersDelay.Microseconds() {
				t.Fatalf("slowest backend span %+v, want %s of step %d, at least %s", s, tc.wantName, tc.wantStep, ordersDelay)
			}
			t.Logf("%d server spans in %d traces; slowest: %s %s %dms (trace %s, step %d)", len(spans), len(ids), s.Service, s.Name, s.Duration.US/1000, s.TraceID, s.Step)
		})
	}
}
