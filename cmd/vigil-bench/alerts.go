package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/vigil-dev/vigil/activities"
	"github.com/vigil-dev/vigil/internal/alert"
	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/store/sqlite"
	"github.com/vigil-dev/vigil/workers"
)

const benchSlackToken = "xoxb-vigil-bench"

// slackRecorder stands in for Slack: it answers chat.postMessage and
// chat.update as Slack does and notes when each message arrived.
type slackRecorder struct {
	mu      sync.Mutex
	arrived map[string]time.Time // monitor id -> first message
	srv     *http.Server
	url     string
}

var benchMonitorRE = regexp.MustCompile(`alert-\d{3}`)

func startSlackRecorder() (*slackRecorder, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &slackRecorder{arrived: map[string]time.Time{}, url: "http://" + ln.Addr().String() + "/api/"}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serve)}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

func (r *slackRecorder) serve(w http.ResponseWriter, req *http.Request) {
	now := time.Now()
	body, _ := io.ReadAll(req.Body)
	if strings.HasSuffix(req.URL.Path, "chat.postMessage") {
		if id := benchMonitorRE.FindString(string(body)); id != "" {
			r.mu.Lock()
			if _, ok := r.arrived[id]; !ok {
				r.arrived[id] = now
			}
			r.mu.Unlock()
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": "C0BENCH01", "ts": fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000)})
}

func (r *slackRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.arrived)
}

type alertResult struct {
	incidents    int
	every        time.Duration
	p50, p99, mx time.Duration
}

// alertScenario makes -alert-incidents monitors fail one after the other
// and measures, for each, the time from the end of its first failing check
// to the Slack request of its incident, with the default 10 s evaluation.
func alertScenario(ctx context.Context, log *slog.Logger, o options) (alertResult, error) {
	rec, err := startSlackRecorder()
	if err != nil {
		return alertResult{}, err
	}
	defer rec.srv.Close()
	var healthy sync.Map // path -> bool (missing: healthy)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return alertResult{}, err
	}
	target := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if down, _ := healthy.Load(req.URL.Path); down == true {
			http.Error(w, "upstream connect error", http.StatusServiceUnavailable)
		}
	})}
	go func() { _ = target.Serve(ln) }()
	defer target.Close()

	o.slackAPI = rec.url
	h, err := startHarness(ctx, log, o)
	if err != nil {
		return alertResult{}, err
	}
	defer h.close()
	const every = 10 * time.Second // the default evaluation interval
	if err := workers.EnsureEvaluateSchedule(ctx, h.client, contract.EvaluateInput{ReopenWindow: time.Minute}, every); err != nil {
		return alertResult{}, err
	}
	files := map[string]string{"alerts/bench.yaml": fmt.Sprintf(alertBenchRules, benchSlackToken)}
	for i := range o.alertIncidents {
		id := fmt.Sprintf("alert-%03d", i)
		files[id+".yaml"] = httpMonitorYAML(id, 10*time.Second, "http://"+ln.Addr().String()+"/"+id)
	}
	if err := h.syncDir(ctx, "alerts", files); err != nil {
		return alertResult{}, err
	}
	time.Sleep(12 * time.Second) // healthy runs first
	flipped := map[string]time.Time{}
	for i := range o.alertIncidents {
		id := fmt.Sprintf("alert-%03d", i)
		flipped[id] = time.Now()
		healthy.Store("/"+id, true)
		time.Sleep(300 * time.Millisecond)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for rec.count() < o.alertIncidents && time.Now().Before(deadline) {
		time.Sleep(time.Second)
	}
	var lat []time.Duration
	for id, at := range rec.arrived {
		first, err := firstDown(ctx, h.store, id, flipped[id])
		if err != nil {
			return alertResult{}, err
		}
		lat = append(lat, at.Sub(first))
	}
	if len(lat) < o.alertIncidents {
		return alertResult{}, fmt.Errorf("only %d of %d incidents reached Slack in 3 minutes", len(lat), o.alertIncidents)
	}
	return alertResult{incidents: len(lat), every: every, p50: pct(lat, 50), p99: pct(lat, 99), mx: slices.Max(lat)}, nil
}

// firstDown is when the first failing check of id after since ended.
func firstDown(ctx context.Context, st *sqlite.Store, id string, since time.Time) (time.Time, error) {
	rs, err := st.ListResults(ctx, store.ResultQuery{MonitorID: id, Status: result.StatusDown, Since: since, Limit: 1000})
	if err != nil || len(rs) == 0 {
		return time.Time{}, fmt.Errorf("no failing result of %s: %v", id, err)
	}
	return rs[len(rs)-1].Vigil.FinishedAt, nil
}

const alertBenchRules = `channels:
  - name: bench
    type: slack
    channel: C0BENCH01
    token: %s
rules:
  - name: bench-down
    kind: consecutive_failures
    threshold: 1
    group_by: [monitor]
    severity: critical
    channels: [bench]
`

func printAlert(a alertResult) {
	fmt.Printf("alerts: %d incidents, failing check end -> Slack request: p50 %s, p99 %s, max %s (a stored failure triggers an evaluation at once; the schedule, every %s, bounds it when that trigger fails)\n",
		a.incidents, ms(a.p50), ms(a.p99), ms(a.mx), a.every)
}

type evalResult struct {
	monitors, rules, stored, read int
	fill, read1, eval1, total     time.Duration
	steady                        time.Duration
	groups, firing                int
}

// evalScenario stores -eval-results results of -eval-monitors monitors (a
// minute apart, the newest now) and times one evaluation of as many rules,
// of every kind, as EvaluateRules runs it: reading the lookback, then
// evaluating.
func evalScenario(ctx context.Context, o options) (evalResult, error) {
	dir, err := os.MkdirTemp("", "vigil-eval-")
	if err != nil {
		return evalResult{}, err
	}
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(ctx, filepath.Join(dir, "vigil.db"), sqlite.Options{})
	if err != nil {
		return evalResult{}, err
	}
	defer st.Close()
	now := time.Now().UTC().Truncate(time.Minute)
	t0 := time.Now()
	if err := fillResults(ctx, st, o.evalMonitors, o.evalResults, now); err != nil {
		return evalResult{}, err
	}
	fill := time.Since(t0)
	set, monitors, err := evalRules(o.evalMonitors)
	if err != nil {
		return evalResult{}, err
	}
	cat := store.Catalog{Commit: "bench", Alerts: set}
	for _, m := range monitors {
		cat.Monitors = append(cat.Monitors, store.CatalogMonitor{Monitor: m, Commit: "bench"})
	}
	if err := st.PutCatalog(ctx, cat); err != nil {
		return evalResult{}, err
	}
	t1 := time.Now()
	rs, err := st.ListResults(ctx, store.ResultQuery{Since: now.Add(-alert.Lookback(set.Rules)), Limit: 10_000_000})
	if err != nil {
		return evalResult{}, err
	}
	read := time.Since(t1)
	t2 := time.Now()
	alerts, _ := alert.Evaluate(set.Rules, alert.Data{Now: now, Results: rs, Monitors: monitors})
	eval := time.Since(t2)
	firing := 0
	for _, a := range alerts {
		if a.Firing {
			firing++
		}
	}
	// The whole activity, signals to a no-op: what one evaluation costs.
	act := activities.NewAlerts(st, nopSignaler{}, activities.AlertLinks{}, slog.New(slog.DiscardHandler))
	t3 := time.Now()
	if _, err := act.EvaluateRules(ctx, contract.EvaluateInput{}); err != nil {
		return evalResult{}, err
	}
	cold := time.Since(t3)
	// Steady state: the next evaluation, 10 s of new results later (every
	// monitor checks once a minute), reads only those.
	var fresh []result.Result
	for m := range o.evalMonitors / 6 {
		r := benchResult(m, 0, now.Add(10*time.Second))
		r.ID += "-next"
		fresh = append(fresh, r)
	}
	if err := st.WriteResults(ctx, fresh); err != nil {
		return evalResult{}, err
	}
	t4 := time.Now()
	if _, err := act.EvaluateRules(ctx, contract.EvaluateInput{}); err != nil {
		return evalResult{}, err
	}
	return evalResult{monitors: o.evalMonitors, rules: len(set.Rules), stored: o.evalResults, read: len(rs),
		fill: fill, read1: read, eval1: eval, total: cold, steady: time.Since(t4), groups: len(alerts), firing: firing}, nil
}

func printEval(e evalResult) {
	fmt.Printf("rule evaluation: %d rules over %d monitors, %d results stored (filled in %s): reading the lookback's %d results takes %s, evaluating them %s (%d groups, %d firing); the EvaluateRules activity takes %s on a worker holding nothing yet, %s in steady state (it then reads only the results stored since its last run)\n",
		e.rules, e.monitors, e.stored, e.fill.Round(time.Second), e.read, e.read1.Round(time.Millisecond), e.eval1.Round(time.Millisecond),
		e.groups, e.firing, e.total.Round(time.Millisecond), e.steady.Round(time.Millisecond))
}

// fillResults stores n results spread over the monitors, one a minute per
// monitor, the newest at now; every seventh is down with one of a few
// errors.
func fillResults(ctx context.Context, st *sqlite.Store, monitors, n int, now time.Time) error {
	batch := make([]result.Result, 0, 1000)
	perMonitor := (n + monitors - 1) / monitors
	written := 0
	for age := 0; age < perMonitor && written < n; age++ {
		for m := 0; m < monitors && written < n; m++ {
			batch = append(batch, benchResult(m, age, now))
			written++
			if len(batch) == cap(batch) {
				if err := st.WriteResults(ctx, batch); err != nil {
					return err
				}
				batch = batch[:0]
			}
		}
	}
	return st.WriteResults(ctx, batch)
}

func benchResult(m, age int, now time.Time) result.Result {
	at := now.Add(-time.Duration(age) * time.Minute)
	id := fmt.Sprintf("eval-%04d", m)
	r := result.Result{
		ID: fmt.Sprintf("%s-%d", id, age), Timestamp: at,
		Monitor:  result.Monitor{ID: id, Type: "http", Status: result.StatusUp, Duration: result.Micros{US: int64(100_000 + (m*37+age*11)%900_000)}},
		Observer: result.Observer{Name: "local", Geo: result.Geo{Name: "local"}},
		Steps: []result.Step{{Synthetics: result.StepSynthetics{Type: "step/end", Step: result.StepInfo{Index: 1, Name: "get", Status: result.StatusUp}},
			Timings: result.Timings{FirstByte: result.Micros{US: 50_000}, Total: result.Micros{US: 120_000}}}},
		Vigil: result.Vigil{StartedAt: at, FinishedAt: at.Add(120 * time.Millisecond)},
	}
	if (m+age)%7 == 0 {
		r.Monitor.Status = result.StatusDown
		r.Error = &result.Error{Type: "assertion", Message: fmt.Sprintf("status was %d", []int{500, 502, 503}[age%3])}
	}
	return r
}

// evalRules is one rule per monitor, cycling through the kinds.
func evalRules(n int) (alert.Set, []monitor.Monitor, error) {
	var b strings.Builder
	b.WriteString("channels:\n  - {name: bench, type: webhook, url: \"https://hooks.example.com/x\"}\nrules:\n")
	var monitors []monitor.Monitor
	for i := range n {
		id := fmt.Sprintf("eval-%04d", i)
		monitors = append(monitors, monitor.Monitor{ID: id, Type: monitor.TypeHTTP, Schedule: monitor.Schedule{Every: monitor.Duration(time.Minute)}})
		fmt.Fprintf(&b, "  - {name: r-%04d, monitors: [%s], channels: [bench], %s}\n", i, id, []string{
			"kind: consecutive_failures, threshold: 3",
			"kind: failure_ratio, ratio: 0.5, window: 10m",
			"kind: latency, measure: duration, percentile: 95, above: 900ms, window: 10m",
			"kind: new_error, window: 10m, baseline: 1h",
			"kind: no_data, target: monitor, for: 5m",
		}[i%5])
	}
	set, errs := alert.Parse("alerts/bench.yaml", []byte(b.String()))
	if len(errs) > 0 {
		return set, nil, fmt.Errorf("bench rules are invalid: %v", errs[0])
	}
	return set, monitors, nil
}

type nopSignaler struct{}

func (nopSignaler) SignalWithStartWorkflow(context.Context, string, string, any, client.StartWorkflowOptions, any, ...any) (client.WorkflowRun, error) {
	return nil, nil
}

func (nopSignaler) SignalWorkflow(context.Context, string, string, string, any) error { return nil }
