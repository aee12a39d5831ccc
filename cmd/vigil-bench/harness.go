package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/vigil-dev/vigil/activities"
	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/devserver"
	"github.com/vigil-dev/vigil/internal/secrets"
	"github.com/vigil-dev/vigil/internal/store/sqlite"
	"github.com/vigil-dev/vigil/workers"
)

// harness is vigil as `vigil dev` runs it: embedded server on SQLite files,
// embedded store, control and check pools.
type harness struct {
	dir    string
	server *devserver.Server
	client client.Client
	store  *sqlite.Store
	pools  *workers.Pools
}

func startHarness(ctx context.Context, log *slog.Logger, o options) (*harness, error) {
	dir, err := os.MkdirTemp("", "vigil-bench-")
	if err != nil {
		return nil, err
	}
	h := &harness{dir: dir}
	// The server logs "context canceled" for runs in flight when a scenario
	// stops it; keep those out of the numbers unless -v.
	serverLog := slog.New(slog.DiscardHandler)
	if log.Enabled(ctx, slog.LevelWarn) {
		serverLog = log
	}
	h.server, err = devserver.Start(ctx, devserver.Options{UIPort: -1, DatabaseFile: filepath.Join(dir, "temporal.db"),
		Namespace: "default", SearchAttributes: workers.SearchAttributes, Logger: serverLog, DynamicConfig: o.dynamicConfig,
		HistoryShards: int32(o.shards), MaxConns: o.maxConns})
	if err != nil {
		return nil, err
	}
	h.client, err = client.Dial(workers.ClientOptions(h.server.FrontendAddr(), "default", log))
	if err != nil {
		return nil, err
	}
	if h.store, err = sqlite.Open(ctx, filepath.Join(dir, "vigil.db"), sqlite.Options{}); err != nil {
		return nil, err
	}
	control := workers.NewControl(h.store, h.client, filepath.Join(dir, "repos"), nil, log)
	workers.AddAlerting(&control, h.store, h.client, workers.AlertingOptions{
		Secrets: secrets.FromMap(map[string]string{"SLACK_TOKEN": benchSlackToken}),
		Notify:  activities.NotifyOptions{SlackAPIURL: o.slackAPI},
	}, log)
	h.pools, err = workers.Start(h.client, workers.Config{Control: true, ControlConcurrency: 200,
		Locations: []string{"local"}, CheckConcurrency: o.concurrency, BuildID: "bench"},
		control, workers.NewChecks(secrets.FromEnv(nil), "bench", nil, log), log)
	if err != nil {
		return nil, err
	}
	return h, nil
}

// syncDir writes the monitors to a directory and runs SyncMonitors once.
func (h *harness) syncDir(ctx context.Context, name string, files map[string]string) error {
	dir := filepath.Join(h.dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for f, content := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte(content), 0o644); err != nil {
			return err
		}
	}
	run, err := h.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: contract.TaskQueueControl},
		contract.WorkflowSyncMonitors, contract.SyncInput{Source: dir})
	if err != nil {
		return err
	}
	var out contract.ReconcileOutput
	if err := run.Get(ctx, &out); err != nil {
		return fmt.Errorf("sync of %d monitors: %w", len(files), err)
	}
	return nil
}

// pauseAll pauses every monitor schedule (between scenarios).
func (h *harness) deleteSchedules(ctx context.Context) {
	it, err := h.client.ScheduleClient().List(ctx, client.ScheduleListOptions{PageSize: 1000})
	if err != nil {
		return
	}
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return
		}
		_ = h.client.ScheduleClient().GetHandle(ctx, e.ID).Delete(ctx)
	}
}

func (h *harness) close() {
	h.deleteSchedules(context.Background())
	h.pools.Stop()
	h.client.Close()
	h.server.Stop()
	_ = h.store.Close()
	_ = os.RemoveAll(h.dir)
}

func httpMonitorYAML(id string, every time.Duration, url string) string {
	return fmt.Sprintf("id: %s\ntype: http\nschedule: {every: %s}\ntimeout: 10s\nconfirm: 0\nsteps:\n  - request: {url: %q}\n    assert: [status == 200]\n",
		id, every, url)
}

// cpuTime is the CPU time (user + system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
