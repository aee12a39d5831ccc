package workers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/gittest"
	"github.com/vigil-dev/vigil/internal/store"
)

const secretValue = "s3cr3t-Tok3n-5f2a9"

// secretEcho needs the secret as a bearer token and echoes it back in its
// body and a header, the worst case for a leak.
func secretEcho(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+secretValue {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		w.Header().Set("X-Echo", r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok": true, "you_sent": %q}`, r.Header.Get("Authorization"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func secretMonitor(url string) string {
	return `id: secret-api
name: API behind a token
type: http
schedule: {every: 1h}
confirm: 1
steps:
  - name: call
    request:
      url: "` + url + `?token=${secrets.API_TOKEN}"
      headers: {Authorization: "Bearer ${secrets.API_TOKEN}"}
    assert:
      - status == 200 && json.ok == true
`
}

// trigger fires a monitor's schedule now and waits for its run to finish.
func (e *env) trigger(id string) client.WorkflowRun {
	e.t.Helper()
	ctx := context.Background()
	h := e.client.ScheduleClient().GetHandle(ctx, contract.MonitorScheduleID(id))
	if err := h.Trigger(ctx, client.ScheduleTriggerOptions{Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL}); err != nil {
		e.t.Fatalf("triggering %s: %v", id, err)
	}
	var run client.WorkflowRun
	eventually(e.t, 30*time.Second, "the triggered run to start", func() bool {
		d, err := h.Describe(ctx)
		if err != nil || len(d.Info.RecentActions) == 0 {
			return false
		}
		last := d.Info.RecentActions[len(d.Info.RecentActions)-1].StartWorkflowResult
		run = e.client.GetWorkflow(ctx, last.WorkflowID, last.FirstExecutionRunID)
		return true
	})
	return run
}

func TestRunStoresOneResultAndLeaksNoSecret(t *testing.T) {
	e := newEnv(t, envOptions{secrets: map[string]string{"API_TOKEN": secretValue}})
	target := secretEcho(t)
	repo := gittest.NewRepo(t)
	repo.WriteFile("secret.yaml", secretMonitor(target.URL))
	commit := repo.Commit("secret monitor")
	e.sync(repo.FileURL())

	run := e.trigger("secret-api")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out contract.MonitorRunOutput
	if err := run.Get(ctx, &out); err != nil {
		t.Fatalf("run failed: %v", err)
	}
	if out.Status != "up" || len(out.ResultIDs) != 1 {
		t.Fatalf("run output: %+v (logs: %s)", out, e.logs.String())
	}
	results, err := e.store.ListResults(ctx, store.ResultQuery{MonitorID: "secret-api"})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 {
		t.Fatalf("want exactly one stored result, got %d", len(results))
	}
	r := results[0]
	if r.ID != out.ResultIDs[0] || r.Vigil.Commit != commit || r.Observer.Name != "local" || r.Vigil.ScheduledAt == nil {
		t.Fatalf("stored result: id %q commit %q location %q scheduled %v", r.ID, r.Vigil.Commit, r.Observer.Name, r.Vigil.ScheduledAt)
	}
	if len(r.Steps) != 1 || r.Steps[0].Timings.Total.US <= 0 || r.Steps[0].HTTP == nil || r.Steps[0].HTTP.Response.StatusCode != 200 {
		t.Fatalf("step not recorded with timings and response: %+v", r.Steps)
	}

	// The secret is nowhere: store, workflow history, logs.
	doc, _ := json.Marshal(r)
	if strings.Contains(string(doc), secretValue) {
		t.Fatalf("secret found in the stored result: %s", doc)
	}
	if !strings.Contains(string(doc), "***") {
		t.Fatalf("the echoed secret must be masked, not dropped silently: %s", doc)
	}
	history := historyJSON(t, e, run.GetID(), run.GetRunID())
	if strings.Contains(history, secretValue) {
		t.Fatal("secret found in the workflow history")
	}
	if strings.Contains(e.logs.String(), secretValue) {
		t.Fatal("secret found in the logs")
	}

	// The run carries its search attributes, so the Temporal UI can filter.
	eventually(t, 10*time.Second, "the run to be visible by VigilMonitorId and VigilStatus", func() bool {
		resp, err := e.client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: e.namespace,
			Query:     `VigilMonitorId = "secret-api" AND VigilStatus = "up"`,
		})
		return err == nil && len(resp.Executions) == 1
	})
	writeHistoryFixture(t, history)
}

func TestFailedAssertionIsConfirmedAndStoredPerAttempt(t *testing.T) {
	e := newEnv(t, envOptions{})
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	}))
	defer down.Close()
	repo := gittest.NewRepo(t)
	repo.WriteFile("down.yaml", httpMonitor("down", "1h", down.URL, "confirm: 1"))
	repo.Commit("down")
	e.sync(repo.FileURL())
	run := e.trigger("down")
	var out contract.MonitorRunOutput
	if err := run.Get(context.Background(), &out); err != nil {
		t.Fatalf("a failed assertion must not fail the workflow: %v", err)
	}
	results, err := e.store.ListResults(context.Background(), store.ResultQuery{MonitorID: "down"})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != "down" || len(results) != 2 {
		t.Fatalf("want a down run with 2 stored attempts, got %s with %d", out.Status, len(results))
	}
	byAttempt := map[int]bool{}
	for _, r := range results {
		byAttempt[r.Vigil.Attempt] = r.Vigil.Confirmed
		if r.Error == nil || r.Error.Type != "assertion" {
			t.Fatalf("attempt %d: want an assertion error, got %+v", r.Vigil.Attempt, r.Error)
		}
	}
	if byAttempt[1] || !byAttempt[2] {
		t.Fatalf("only the re-check confirms the failure: %v", byAttempt)
	}
}
