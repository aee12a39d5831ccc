package workers_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/gittest"
	"github.com/vigil-dev/vigil/internal/secrets"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/workers"
)

// A private location is a task queue: only the worker started for it runs
// its checks, with credentials no other worker has.
func TestPrivateLocationRunsOnItsOwnWorker(t *testing.T) {
	e := newEnv(t, envOptions{}) // control + location "local", without the secret
	officeSecrets := secrets.FromMap(map[string]string{"API_TOKEN": secretValue})
	log := slog.New(slog.NewTextHandler(e.logs, nil))
	office, err := workers.Start(e.client, workers.Config{Locations: []string{"office"}, CheckConcurrency: 5, BuildID: "test"},
		workers.Control{}, workers.NewChecks(officeSecrets, "office-host", nil, log), log)
	if err != nil {
		t.Fatal(err)
	}
	defer office.Stop()

	target := secretEcho(t)
	repo := gittest.NewRepo(t)
	repo.WriteFile("office.yaml", secretMonitor(target.URL)+"locations: [office]\n")
	repo.Commit("office monitor")
	e.sync(repo.FileURL())

	run := e.trigger("secret-api")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out contract.MonitorRunOutput
	if err := run.Get(ctx, &out); err != nil {
		t.Fatal(err)
	}
	results, err := e.store.ListResults(ctx, store.ResultQuery{MonitorID: "secret-api"})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != "up" || len(results) != 1 {
		t.Fatalf("want one up result, got %s with %d results", out.Status, len(results))
	}
	if r := results[0]; r.Observer.Name != "office" || r.Observer.Hostname != "office-host" {
		t.Fatalf("the check must run on the office worker, ran at %q on %q", r.Observer.Name, r.Observer.Hostname)
	}
}
