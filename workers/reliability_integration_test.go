package workers_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/vigil-dev/vigil/internal/secrets"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/store/sqlite"
)

// runWorkerProcess is the body of a worker subprocess (the test binary
// re-executed), so a test can SIGKILL a real worker process.
func runWorkerProcess() int {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	dataDir := os.Getenv("VIGIL_TEST_DATA_DIR")
	st, err := sqlite.Open(context.Background(), filepath.Join(dataDir, "vigil.db"), sqlite.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker process: opening store:", err)
		return 1
	}
	c, err := client.Dial(client.Options{HostPort: os.Getenv("VIGIL_TEST_FRONTEND"), Namespace: os.Getenv("VIGIL_TEST_NAMESPACE")})
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker process: dialing temporal:", err)
		return 1
	}
	pools := startWorkers(&testing.T{}, c, st, dataDir, secrets.FromEnv(os.Environ()), "", log)
	fmt.Println("worker ready")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	pools.Stop()
	return 0
}

func (e *env) startWorkerProcess() *exec.Cmd {
	e.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), workerProcessEnv+"=1", "VIGIL_TEST_FRONTEND="+frontend,
		"VIGIL_TEST_NAMESPACE="+e.namespace, "VIGIL_TEST_DATA_DIR="+e.dataDir)
	cmd.Stderr = e.logs
	out, err := cmd.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		e.t.Fatalf("starting worker process: %v", err)
	}
	buf := make([]byte, 64)
	if _, err := out.Read(buf); err != nil {
		e.t.Fatalf("worker process did not start: %v\n%s", err, e.logs.String())
	}
	e.t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

func TestRunCompletesAfterItsWorkerIsKilled(t *testing.T) {
	e := newEnv(t, envOptions{noWorkers: true})
	var hits atomic.Int32
	inCheck := make(chan struct{}, 1)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			inCheck <- struct{}{}
			time.Sleep(2 * time.Second) // the worker dies during this check
		}
		fmt.Fprint(w, "ok")
	}))
	defer target.Close()

	first := e.startWorkerProcess()
	repo := newRepoWith(t, "slow.yaml", httpMonitor("slow", "1h", target.URL, "timeout: 3s"))
	e.sync(repo)
	run := e.trigger("slow")
	select {
	case <-inCheck:
	case <-time.After(30 * time.Second):
		t.Fatal("the check never reached the target")
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	e.startWorkerProcess()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := run.Get(ctx, nil); err != nil {
		t.Fatalf("the run must complete on the new worker: %v", err)
	}
	results, err := e.store.ListResults(ctx, store.ResultQuery{MonitorID: "slow"})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || !results[0].Up() || results[0].Vigil.Attempt != 1 {
		t.Fatalf("want exactly one stored up result for attempt 1, got %d: %+v", len(results), results)
	}
	if hits.Load() < 2 {
		t.Fatalf("the check must have run again on the new worker; target hit %d times", hits.Load())
	}
}
