package workers_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/vigil-dev/vigil/activities"
	"github.com/vigil-dev/vigil/internal/devserver"
	"github.com/vigil-dev/vigil/internal/secrets"
	"github.com/vigil-dev/vigil/internal/store/sqlite"
	"github.com/vigil-dev/vigil/workers"
)

// One real Temporal server per test package; each test gets its own
// namespace so schedules and task queues never mix.
var (
	frontend   string
	namespaces = make(chan string, 48) // enough for -count=5; namespaces are never reused
)

const workerProcessEnv = "VIGIL_TEST_WORKER_PROCESS"

func TestMain(m *testing.M) {
	if os.Getenv(workerProcessEnv) == "1" {
		os.Exit(runWorkerProcess())
	}
	var names []string
	for i := range cap(namespaces) {
		names = append(names, fmt.Sprintf("test-%d", i))
	}
	srv, err := devserver.Start(context.Background(), devserver.Options{
		UIPort: -1, Namespace: "default", ExtraNamespaces: names,
		SearchAttributes: workers.SearchAttributes,
		Logger:           slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the embedded Temporal server:", err)
		os.Exit(1)
	}
	frontend = srv.FrontendAddr()
	for _, n := range names {
		namespaces <- n
	}
	code := m.Run()
	srv.Stop()
	os.Exit(code)
}

// syncBuffer is a log sink tests can search (for leaked secrets).
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is one test's vigil: namespace, client, store and workers.
type env struct {
	t         *testing.T
	namespace string
	client    client.Client
	store     *sqlite.Store
	logs      *syncBuffer
	dataDir   string
	pools     *workers.Pools
}

type envOptions struct {
	secrets   map[string]string
	noWorkers bool   // the test starts worker processes itself
	slackAPI  string // where the notifiers reach Slack (a slacktest fake)
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	var ns string
	select {
	case ns = <-namespaces:
	default:
		t.Fatal("out of test namespaces; raise cap(namespaces)")
	}
	e := &env{t: t, namespace: ns, logs: &syncBuffer{}, dataDir: t.TempDir()}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx := context.Background()
	var err error
	e.client, err = client.Dial(client.Options{HostPort: frontend, Namespace: ns, Logger: sdklog.NewStructuredLogger(log)})
	if err != nil {
		t.Fatalf("dialing temporal: %v", err)
	}
	if err := workers.EnsureSearchAttributes(ctx, e.client, ns); err != nil {
		t.Fatal(err)
	}
	e.store, err = sqlite.Open(ctx, filepath.Join(e.dataDir, "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !o.noWorkers {
		e.pools = startWorkers(t, e.client, e.store, e.dataDir, secrets.FromMap(o.secrets), o.slackAPI, log)
	}
	t.Cleanup(func() {
		if e.pools != nil {
			e.pools.Stop()
		}
		e.client.Close()
		_ = e.store.Close()
		if t.Failed() {
			t.Logf("vigil logs of %s:\n%s", ns, e.logs.String())
		}
	})
	return e
}

func startWorkers(t testing.TB, c client.Client, st *sqlite.Store, dataDir string, src secrets.Source, slackAPI string, log *slog.Logger) *workers.Pools {
	control := workers.NewControl(st, c, filepath.Join(dataDir, "repos"), nil, log)
	workers.AddAlerting(&control, st, c, workers.AlertingOptions{
		Links:   activities.AlertLinks{RunBaseURL: "http://vigil.test", TemporalUI: "http://temporal.test", Namespace: "test"},
		Secrets: src, Notify: activities.NotifyOptions{SlackAPIURL: slackAPI},
	}, log)
	workers.AddTraces(&control, st, log)
	p, err := workers.Start(c, workers.Config{Control: true, ControlConcurrency: 50, Locations: []string{"local"},
		CheckConcurrency: 50, BrowserConcurrency: 2, BuildID: "test"}, control, workers.NewChecks(src, "test", nil, log), log)
	if err != nil {
		t.Fatalf("starting workers: %v", err)
	}
	return p
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", within, what)
}
