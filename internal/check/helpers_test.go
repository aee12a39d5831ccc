package check

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/secrets"
)

func newTestRunner(t testing.TB, environ ...string) *Runner {
	t.Helper()
	return NewRunner(Options{
		Secrets: secrets.FromEnv(environ),
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
}

func httpMonitor(steps ...monitor.Step) monitor.Monitor {
	return monitor.Monitor{
		ID:       "m1",
		Type:     monitor.TypeHTTP,
		Timeout:  monitor.Duration(5 * time.Second),
		Schedule: monitor.Schedule{Every: monitor.Duration(time.Minute)},
		Tags:     []string{"test"},
		Steps:    steps,
	}
}

func get(name, url string, asserts ...string) monitor.Step {
	return monitor.Step{Name: name, Request: monitor.Request{URL: url}, Assert: asserts}
}

func runOnce(t testing.TB, r *Runner, m monitor.Monitor) result.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := r.Run(ctx, m)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

// wantStatus fails the test with the whole result when the status differs.
func wantStatus(t *testing.T, res result.Result, status string) {
	t.Helper()
	if res.Monitor.Status != status {
		b, _ := json.MarshalIndent(res, "", "  ")
		t.Fatalf("status %s, want %s; result:\n%s", res.Monitor.Status, status, b)
	}
}

func wantError(t *testing.T, res result.Result, typ, contains string) {
	t.Helper()
	if res.Error == nil {
		t.Fatalf("no error, want %s %q", typ, contains)
	}
	if res.Error.Type != typ || !strings.Contains(res.Error.Message, contains) {
		t.Fatalf("error = %s %q; want %s containing %q", res.Error.Type, res.Error.Message, typ, contains)
	}
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func itoa(n int) string { return strconv.Itoa(n) }

func withTimeout(m monitor.Monitor, d time.Duration) monitor.Monitor {
	m.Timeout = monitor.Duration(d)
	return m
}
