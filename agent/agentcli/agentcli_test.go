package agentcli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-dev/vigil/agent/traffic"
	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/redact"
	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/store/sqlite"
)

func TestMain(m *testing.M) {
	if os.Getenv("VIGIL_TRAFFIC") == "server" {
		if err := traffic.Serve("127.0.0.1:0", os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

func needRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the agent loads BPF programs: run as root (make test does on CI)")
	}
}

// startServer runs a traffic server in a child process (the agent never
// traces itself) and returns its pid and address.
func startServer(t *testing.T) (int, string) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "VIGIL_TRAFFIC=server")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid, strings.TrimSpace(strings.TrimPrefix(line, "listening "))
}

func get(t *testing.T, url string, n int) {
	for i := 0; i < n; i++ {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestAgentCommand runs `agent --pid PID --stdout`: spans are printed as
// JSON lines and stored in the embedded store under --data-dir.
func TestAgentCommand(t *testing.T) {
	needRoot(t)
	pid, addr := startServer(t)
	dir := t.TempDir()
	var stdout, stderr syncBuffer
	var configFile string
	cmd := NewCommand(&stdout, &stderr, &configFile)
	cmd.SetArgs([]string{"--data-dir", dir, "--pid", strconv.Itoa(pid), "--stdout", "--listen", ""})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	waitFor(t, func() bool { return strings.Contains(stderr.String(), "capturing") }, "the agent to start: "+stderr.String())
	get(t, "http://"+addr+"/hello", 3)
	waitFor(t, func() bool { return strings.Count(stdout.String(), "\n") >= 3 }, "3 JSON lines on stdout")
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("agent command: %v\n%s", err, stderr.String())
	}
	for i, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var s span.Span
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatalf("line %d is not a span: %v: %s", i, err, line)
		}
		if s.Span.Kind != span.KindServer || s.HTTP.Request.Path != "/hello" || s.Process.PID != pid {
			t.Errorf("line %d: %s %s pid %d", i, s.Span.Kind, s.Span.Name, s.Process.PID)
		}
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "vigil.db"), sqlite.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	spans, err := st.ListSpans(context.Background(), store.SpanQuery{Limit: 100})
	if err != nil || len(spans) != 3 {
		t.Fatalf("store holds %d spans (%v), want 3", len(spans), err)
	}
}

// flaky is the store seen through a network that fails while down is set.
type flaky struct {
	store.SpanWriter
	down atomic.Bool
}

func (f *flaky) WriteSpans(ctx context.Context, s []span.Span) error {
	if f.down.Load() {
		return errors.New("store unreachable")
	}
	return f.SpanWriter.WriteSpans(ctx, s)
}

// TestStoreDownKeepsSpans: while the store is down spans wait in the spool
// on disk; when it is back every one of them is stored, once.
func TestStoreDownKeepsSpans(t *testing.T) {
	needRoot(t)
	pid, addr := startServer(t)
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "vigil.db"), sqlite.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w := &flaky{SpanWriter: st}
	w.down.Store(true)
	cfg := config.DefaultAgent()
	cfg.PIDs = []int{pid}
	cfg.BatchInterval = 100 * time.Millisecond
	reg := prometheus.NewRegistry()
	emb, err := Start(context.Background(), cfg, dir, w, redact.MustNew(redact.Default()).Span, reg, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Stop()
	get(t, "http://"+addr+"/hello", 50)
	waitFor(t, func() bool { return emb.spool.Stats().SpooledSpans >= 50 }, "50 spans spooled while the store is down")
	if n, _ := st.ListSpans(context.Background(), store.SpanQuery{Limit: 1000}); len(n) != 0 {
		t.Fatalf("%d spans reached a store that was down", len(n))
	}
	w.down.Store(false)
	waitFor(t, func() bool {
		n, _ := st.ListSpans(context.Background(), store.SpanQuery{Limit: 1000})
		return len(n) >= 50
	}, "the spooled spans to reach the store")
	get(t, "http://"+addr+"/hello", 5)
	waitFor(t, func() bool {
		n, _ := st.ListSpans(context.Background(), store.SpanQuery{Limit: 1000})
		return len(n) >= 55
	}, "new spans after recovery")
	n, _ := st.ListSpans(context.Background(), store.SpanQuery{Limit: 1000})
	if len(n) != 55 {
		t.Errorf("store holds %d spans, want exactly 55", len(n))
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
