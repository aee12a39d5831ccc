package workers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/gittest"
	"github.com/vigil-dev/vigil/internal/store"
)

func httpMonitor(id, every, url string, extra ...string) string {
	return "id: " + id + "\ntype: http\nschedule: {every: " + every + "}\n" + strings.Join(extra, "\n") +
		"\nsteps:\n  - name: get\n    request: {url: \"" + url + "\"}\n    assert: [status == 200]\n"
}

// sync runs SyncMonitors once, as its schedule would, and waits for it.
func (e *env) sync(source string) contract.ReconcileOutput {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := e.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: contract.TaskQueueControl},
		contract.WorkflowSyncMonitors, contract.SyncInput{Source: source, Branch: "main"})
	if err != nil {
		e.t.Fatalf("starting sync: %v", err)
	}
	var out contract.ReconcileOutput
	if err := run.Get(ctx, &out); err != nil {
		e.t.Fatalf("sync failed: %v", err)
	}
	return out
}

func (e *env) schedule(id string) (*client.ScheduleDescription, bool) {
	e.t.Helper()
	d, err := e.client.ScheduleClient().GetHandle(context.Background(), contract.MonitorScheduleID(id)).Describe(context.Background())
	var nf *serviceerror.NotFound
	if err != nil {
		if errors.As(err, &nf) {
			return nil, false
		}
		e.t.Fatalf("describing schedule of %s: %v", id, err)
	}
	return d, true
}

// waitListedPaused waits until the schedule list shows a schedule's pause
// state, which it does a moment after the change.
func (e *env) waitListedPaused(id string, paused bool) {
	e.t.Helper()
	eventually(e.t, 10*time.Second, "schedule list to show "+id+" paused="+fmt.Sprint(paused), func() bool {
		it, err := e.client.ScheduleClient().List(context.Background(), client.ScheduleListOptions{})
		if err != nil {
			return false
		}
		for it.HasNext() {
			s, err := it.Next()
			if err != nil {
				return false
			}
			if s.ID == contract.MonitorScheduleID(id) {
				return s.Paused == paused
			}
		}
		return false
	})
}

func every(d *client.ScheduleDescription) time.Duration {
	if d == nil || d.Schedule.Spec == nil || len(d.Schedule.Spec.Intervals) == 0 {
		return 0
	}
	return d.Schedule.Spec.Intervals[0].Every
}

func TestSyncReconcilesSchedulesWithGit(t *testing.T) {
	for _, transport := range []string{"file", "smart-http"} {
		t.Run(transport, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			repo := gittest.NewRepo(t)
			url := repo.FileURL()
			if transport == "smart-http" {
				url = repo.ServeHTTP(t)
			}
			target := "http://127.0.0.1:9/never-called"
			repo.WriteFile("a.yaml", httpMonitor("a", "1h", target))
			repo.WriteFile("team/b.yaml", httpMonitor("b", "1h", target))
			c1 := repo.Commit("two monitors")

			out := e.sync(url)
			requireSameIDs(t, []string{"a", "b"}, out.Created)
			a, ok := e.schedule("a")
			if !ok || every(a) != time.Hour {
				t.Fatalf("schedule a: exists=%v every=%v", ok, every(a))
			}
			var in contract.MonitorRunInput
			requireActionInput(t, a, &in)
			if in.Commit != c1 || in.Monitor.ID != "a" {
				t.Fatalf("schedule a pins commit %q monitor %q, want %q a", in.Commit, in.Monitor.ID, c1)
			}

			// Change a, pause b, add c: one sync reflects all three.
			repo.WriteFile("a.yaml", httpMonitor("a", "2h", target))
			repo.WriteFile("team/b.yaml", httpMonitor("b", "1h", target, "paused: true"))
			repo.WriteFile("c.yaml", httpMonitor("c", "30m", target))
			c2 := repo.Commit("change a, pause b, add c")
			out = e.sync(url)
			requireSameIDs(t, []string{"a"}, out.Updated)
			requireSameIDs(t, []string{"c"}, out.Created)
			requireSameIDs(t, []string{"b"}, out.Paused)
			a, _ = e.schedule("a")
			requireActionInput(t, a, &in)
			if every(a) != 2*time.Hour || in.Commit != c2 {
				t.Fatalf("schedule a after change: every %v commit %q, want 2h %q", every(a), in.Commit, c2)
			}
			b, _ := e.schedule("b")
			if !b.Schedule.State.Paused || !strings.Contains(b.Schedule.State.Note, "paused by vigil sync") {
				t.Fatalf("schedule b: paused=%v note=%q", b.Schedule.State.Paused, b.Schedule.State.Note)
			}
			// Sync reads schedules through the (eventually consistent) list.
			e.waitListedPaused("b", true)

			// Pause a by hand, remove c, resume b in git.
			if err := e.client.ScheduleClient().GetHandle(context.Background(), contract.MonitorScheduleID("a")).
				Pause(context.Background(), client.SchedulePauseOptions{Note: "maintenance window, ask ops"}); err != nil {
				t.Fatal(err)
			}
			repo.Remove("c.yaml")
			repo.WriteFile("team/b.yaml", httpMonitor("b", "1h", target))
			repo.Commit("remove c, resume b")
			out = e.sync(url)
			requireSameIDs(t, []string{"c"}, out.Deleted)
			requireSameIDs(t, []string{"b"}, out.Resumed)
			if _, ok := e.schedule("c"); ok {
				t.Fatal("schedule c still exists after its file was removed")
			}
			if b, _ := e.schedule("b"); b.Schedule.State.Paused {
				t.Fatal("schedule b still paused after paused: true was removed")
			}
			e.waitListedPaused("b", false)
			e.waitListedPaused("a", true)
			if a, _ := e.schedule("a"); !a.Schedule.State.Paused || a.Schedule.State.Note != "maintenance window, ask ops" {
				t.Fatalf("a schedule paused by hand must stay paused: paused=%v note=%q", a.Schedule.State.Paused, a.Schedule.State.Note)
			}
			// Nothing changed: nothing is touched.
			out = e.sync(url)
			if len(out.Created)+len(out.Updated)+len(out.Deleted)+len(out.Paused)+len(out.Resumed) != 0 || out.Unchanged != 2 {
				t.Fatalf("a sync without changes changed something: %+v", out)
			}
		})
	}
}

func TestSyncKeepsLastValidVersionOfAnInvalidFile(t *testing.T) {
	e := newEnv(t, envOptions{})
	repo := gittest.NewRepo(t)
	target := "http://127.0.0.1:9/x"
	repo.WriteFile("a.yaml", httpMonitor("a", "1h", target))
	repo.WriteFile("b.yaml", httpMonitor("b", "1h", target))
	c1 := repo.Commit("valid")
	e.sync(repo.FileURL())

	// A bad expression in a.yaml, and a new valid monitor beside it.
	repo.WriteFile("a.yaml", strings.Replace(httpMonitor("a", "5m", target), "status == 200", "status ==== 200", 1))
	repo.WriteFile("d.yaml", httpMonitor("d", "1h", target))
	repo.Commit("break a")
	out := e.sync(repo.FileURL())
	requireSameIDs(t, []string{"d"}, out.Created)
	if len(out.Deleted) != 0 || len(out.Updated) != 0 {
		t.Fatalf("an invalid file must not delete or change its monitor: %+v", out)
	}
	a, ok := e.schedule("a")
	if !ok || every(a) != time.Hour {
		t.Fatalf("monitor a must keep running its last valid version: exists=%v every=%v", ok, every(a))
	}
	cat, err := e.store.GetCatalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Errors) == 0 {
		t.Fatal("the catalog must report the invalid file")
	}
	ve := cat.Errors[0]
	if ve.File != "a.yaml" || ve.Line != 8 || ve.Column != 14 || ve.MonitorID != "a" {
		t.Fatalf("error must name monitor a at a.yaml:8:14, got %s (monitor %q)", ve.Error(), ve.MonitorID)
	}
	var stale *store.CatalogMonitor
	for i := range cat.Monitors {
		if cat.Monitors[i].Monitor.ID == "a" {
			stale = &cat.Monitors[i]
		}
	}
	if stale == nil || !stale.Stale || stale.Commit != c1 {
		t.Fatalf("catalog must keep a's last valid version from %s, marked stale: %+v", c1, stale)
	}
}

func TestSyncSurvivesAnUnreachableRemote(t *testing.T) {
	e := newEnv(t, envOptions{})
	repo := gittest.NewRepo(t)
	repo.WriteFile("a.yaml", httpMonitor("a", "1h", "http://127.0.0.1:9/x"))
	repo.Commit("one")
	e.sync(repo.FileURL())
	out := e.sync("http://127.0.0.1:1/monitors.git")
	if len(out.Deleted) != 0 {
		t.Fatalf("an unreachable remote must not delete schedules: %+v", out)
	}
	if _, ok := e.schedule("a"); !ok {
		t.Fatal("schedule a was lost")
	}
	cat, err := e.store.GetCatalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cat.FetchError, "127.0.0.1:1") || len(cat.Monitors) != 1 {
		t.Fatalf("catalog must keep the monitors and name the unreachable remote: fetch error %q, %d monitors", cat.FetchError, len(cat.Monitors))
	}
}

func requireSameIDs(t *testing.T, want, got []string) {
	t.Helper()
	w, g := map[string]bool{}, map[string]bool{}
	for _, s := range want {
		w[s] = true
	}
	for _, s := range got {
		g[s] = true
	}
	if len(w) != len(g) || len(want) != len(got) {
		t.Fatalf("want %v, got %v", want, got)
	}
	for s := range w {
		if !g[s] {
			t.Fatalf("want %v, got %v", want, got)
		}
	}
}

func requireActionInput(t *testing.T, d *client.ScheduleDescription, in *contract.MonitorRunInput) {
	t.Helper()
	act, ok := d.Schedule.Action.(*client.ScheduleWorkflowAction)
	if !ok || len(act.Args) != 1 {
		t.Fatalf("schedule action is not a workflow with one argument: %#v", d.Schedule.Action)
	}
	p, ok := act.Args[0].(*commonpb.Payload)
	if !ok {
		t.Fatalf("unexpected argument type %T", act.Args[0])
	}
	if err := json.Unmarshal(p.GetData(), in); err != nil {
		t.Fatalf("decoding schedule input: %v", err)
	}
}
