package agent

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-dev/vigil/agent/traffic"
	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/span"
)

// The agent never traces its own process, so the servers and clients of
// these tests run as child processes: this test binary re-executed with
// VIGIL_TRAFFIC set.
func TestMain(m *testing.M) {
	switch os.Getenv("VIGIL_TRAFFIC") {
	case "server":
		if err := traffic.Serve("127.0.0.1:0", os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	case "tls-server":
		if err := traffic.ServeTLS("127.0.0.1:0", os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	case "trickle":
		if err := trickle(os.Getenv("VIGIL_TRAFFIC_URL"), os.Getenv("VIGIL_TRAFFIC_REQUEST")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	case "grpc-server":
		if err := grpcServe(os.Getenv("VIGIL_TRAFFIC_TLS") != ""); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	case "grpc-client":
		n, _ := strconv.Atoi(os.Getenv("VIGIL_TRAFFIC_REQUESTS"))
		if err := grpcCall(os.Getenv("VIGIL_TRAFFIC_URL"), n, os.Getenv("VIGIL_TRAFFIC_TLS") != ""); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	case "pgx", "mysql-go":
		run := pgxClient
		if os.Getenv("VIGIL_TRAFFIC") == "mysql-go" {
			run = mysqlGoClient
		}
		if err := run(os.Getenv("VIGIL_TRAFFIC_URL")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	case "dns":
		run := func(server string) error { return resolve(server, cmp.Or(os.Getenv("VIGIL_TRAFFIC_NET"), "udp")) }
		if os.Getenv("VIGIL_TRAFFIC_NET") == "sendmmsg" {
			run = sendmmsgQueries
		}
		if err := run(os.Getenv("VIGIL_TRAFFIC_URL")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	case "client":
		o := traffic.ClientOptions{
			BaseURL: os.Getenv("VIGIL_TRAFFIC_URL"),
			Paths:   strings.Split(os.Getenv("VIGIL_TRAFFIC_PATHS"), ","),
			Method:  os.Getenv("VIGIL_TRAFFIC_METHOD"),
		}
		o.Requests, _ = strconv.Atoi(os.Getenv("VIGIL_TRAFFIC_REQUESTS"))
		o.Conns, _ = strconv.Atoi(os.Getenv("VIGIL_TRAFFIC_CONNS"))
		o.Body, _ = strconv.Atoi(os.Getenv("VIGIL_TRAFFIC_BODY"))
		o.Insecure = os.Getenv("VIGIL_TRAFFIC_INSECURE") != ""
		if tp := os.Getenv("VIGIL_TRAFFIC_TRACEPARENT"); tp != "" {
			o.Header = map[string]string{"traceparent": tp}
		}
		if err := traffic.Run(context.Background(), o, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// needBPF skips when this process cannot load BPF programs.
func needBPF(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the agent's tests load BPF programs: run them as root (make test does on CI)")
	}
}

// server is a traffic server in a child process.
type server struct {
	cmd  *exec.Cmd
	addr string
}

func startServer(t *testing.T) *server {
	t.Helper()
	return startServerKind(t, "server")
}

// startServerKind starts the child server VIGIL_TRAFFIC=kind runs.
func startServerKind(t *testing.T, kind string) *server {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "VIGIL_TRAFFIC="+kind)
	line := startReadingLine(t, cmd)
	return &server{cmd: cmd, addr: strings.TrimPrefix(line, "listening ")}
}

// startReadingLine starts a server that tells where it listens on its
// first line of output, and returns that line trimmed; the server is
// killed when the test ends.
func startReadingLine(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the first line of %s: %v", cmd.Path, err)
	}
	return strings.TrimSpace(line)
}

func (s *server) port() int {
	_, p, _ := strings.Cut(s.addr, ":")
	n, _ := strconv.Atoi(p)
	return n
}

// runClient runs a traffic client to completion and returns its calls.
func runClient(t *testing.T, env ...string) ([]traffic.Call, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), "VIGIL_TRAFFIC=client"), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the traffic client: %v", err)
	}
	calls, err := traffic.ReadCalls(out)
	if werr := cmd.Wait(); werr != nil || err != nil {
		t.Fatalf("traffic client: %v %v", werr, err)
	}
	return calls, cmd.Process.Pid
}

// collector is a SpanSink keeping everything in memory.
type collector struct {
	mu    sync.Mutex
	spans []span.Span
}

func (c *collector) Write(_ context.Context, batch []span.Span) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.spans = append(c.spans, batch...)
	return nil
}

func (c *collector) snapshot() []span.Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]span.Span(nil), c.spans...)
}

// running is an agent under test.
// testHooks is the capture hooks the tests use: VIGIL_TEST_HOOKS (make
// test runs the agent's tests once more with "syscall"), else auto.
func testHooks() string { return os.Getenv("VIGIL_TEST_HOOKS") }

type running struct {
	agent  *Agent
	sink   *collector
	reg    *prometheus.Registry
	cancel context.CancelFunc
	done   chan error
}

func startAgent(t *testing.T, mutate func(*config.Agent)) *running {
	t.Helper()
	needBPF(t)
	cfg := config.DefaultAgent()
	cfg.BatchInterval = 100 * time.Millisecond
	cfg.FlushInterval = 10 * time.Millisecond
	cfg.Hooks = testHooks()
	if mutate != nil {
		mutate(&cfg)
	}
	r := &running{sink: &collector{}, reg: prometheus.NewRegistry(), done: make(chan error, 1)}
	var logTo io.Writer = io.Discard
	if os.Getenv("VIGIL_TEST_LOG") != "" { // the agent's log, for debugging a test
		logTo = os.Stderr
	}
	a, err := New(Options{Config: cfg, Sink: r.sink, Registry: r.reg, Log: slog.New(slog.NewTextHandler(logTo, nil))})
	if err != nil {
		t.Fatalf("starting the agent: %v", err)
	}
	r.agent = a
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- a.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop ends the agent (flushing) once and returns every span it exported.
func (r *running) stop(t *testing.T) []span.Span {
	t.Helper()
	if r.cancel != nil {
		r.cancel()
		r.cancel = nil
		select {
		case err := <-r.done:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("agent run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the agent did not stop within 30s")
		}
	}
	return r.sink.snapshot()
}

// waitSpans polls until want spans matching keep were exported.
func (r *running) waitSpans(t *testing.T, want int, keep func(*span.Span) bool) []span.Span {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var got []span.Span
		for _, s := range r.sink.snapshot() {
			if keep(&s) {
				got = append(got, s)
			}
		}
		if len(got) >= want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}
