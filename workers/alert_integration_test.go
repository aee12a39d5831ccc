package workers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/gittest"
	"github.com/vigil-dev/vigil/internal/notify/slack/slacktest"
	"github.com/vigil-dev/vigil/internal/store"
)

// flippable answers 200 while healthy, 503 otherwise.
func flippable(t *testing.T) (*httptest.Server, *atomic.Bool) {
	var healthy atomic.Bool
	healthy.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if !healthy.Load() {
			http.Error(w, "upstream connect error", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	return srv, &healthy
}

const checkoutAlerts = `channels:
  - name: oncall
    type: slack
    channel: C0VIGIL01
    token: ${secrets.SLACK_TOKEN}
rules:
  - name: checkout-down
    kind: consecutive_failures
    monitors: [checkout]
    threshold: 2
    severity: critical
    channels: [oncall]
    resolve_after: 2s
`

// evaluate runs EvaluateAlerts once, as its schedule would.
func (e *env) evaluate() contract.EvaluateOutput {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := e.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: contract.TaskQueueControl},
		contract.WorkflowEvaluateAlerts, contract.EvaluateInput{ReopenWindow: 3 * time.Second})
	if err != nil {
		e.t.Fatalf("starting EvaluateAlerts: %v", err)
	}
	var out contract.EvaluateOutput
	if err := run.Get(ctx, &out); err != nil {
		e.t.Fatalf("EvaluateAlerts failed: %v", err)
	}
	return out
}

// runOnce triggers the monitor's schedule and waits for the run.
func (e *env) runOnce(id string) {
	e.t.Helper()
	if err := e.trigger(id).Get(context.Background(), nil); err != nil {
		e.t.Fatalf("run of %s failed: %v", id, err)
	}
}

// TestAlertFiresOnceAndResolvesInPlace: a monitor whose target starts
// failing produces exactly one Slack message however many evaluations see
// it, and that message is updated once when the target recovers.
func TestAlertFiresOnceAndResolvesInPlace(t *testing.T) {
	fake := slacktest.New(t)
	target, healthy := flippable(t)
	e := newEnv(t, envOptions{secrets: map[string]string{"SLACK_TOKEN": fake.Token()}, slackAPI: fake.URL()})
	repo := gittest.NewRepo(t)
	repo.WriteFile("checkout.yaml", httpMonitor("checkout", "1h", target.URL))
	repo.WriteFile("alerts/checkout.yaml", checkoutAlerts)
	repo.Commit("checkout and its alert")
	e.sync(repo.FileURL())

	e.runOnce("checkout")
	out := e.evaluate()
	if out.Rules != 1 || out.Firing != 0 {
		t.Fatalf("healthy target: want 1 rule, nothing firing; got %+v", out)
	}

	healthy.Store(false)
	e.runOnce("checkout")
	e.runOnce("checkout")
	for range 3 { // every evaluation sees it firing: still one message
		if out := e.evaluate(); out.Firing != 1 {
			t.Fatalf("failing target: want 1 firing group, got %+v", out)
		}
	}
	eventually(t, 30*time.Second, "the Slack message", func() bool { return len(fake.TopLevel()) == 1 })
	time.Sleep(time.Second) // a duplicate would show up now
	if n := len(fake.TopLevel()); n != 1 {
		t.Fatalf("want exactly one Slack message, got %d", n)
	}
	msg := fake.TopLevel()[0]

	healthy.Store(true)
	e.runOnce("checkout")
	if out := e.evaluate(); out.Firing != 0 || out.Cleared != 1 {
		t.Fatalf("recovered target: want 0 firing and 1 incident cleared, got %+v", out)
	}
	eventually(t, 30*time.Second, "the message updated to resolved", func() bool { return len(fake.Updates()) == 1 })
	e.evaluate()
	time.Sleep(time.Second)
	if n, u := len(fake.TopLevel()), len(fake.Updates()); n != 1 || u != 1 {
		t.Fatalf("want one message updated once, got %d messages and %d updates", n, u)
	}
	if up := fake.Updates()[0]; up.TS != msg.TS || up.Channel != msg.Channel {
		t.Fatalf("the update went to %s/%s, not the first message %s/%s", up.Channel, up.TS, msg.Channel, msg.TS)
	}
	list, err := e.store.ListIncidents(context.Background(), store.IncidentQuery{})
	if err != nil || len(list) != 1 || list[0].State != store.IncidentResolved {
		t.Fatalf("want one resolved incident stored, got %+v (%v)", list, err)
	}
}
