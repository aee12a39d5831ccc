package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/vigil-dev/vigil/internal/alert"
	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/runtrace"
	"github.com/vigil-dev/vigil/internal/store"
)

// AlertStore is what rule evaluation reads.
type AlertStore interface {
	store.CatalogStore
	store.ResultReader
	store.SpanReader
	store.IncidentReader
}

// IncidentSignaler starts or signals Incident workflows (client.Client is
// one).
type IncidentSignaler interface {
	SignalWithStartWorkflow(ctx context.Context, workflowID, signalName string, signalArg any,
		options client.StartWorkflowOptions, workflow any, workflowArgs ...any) (client.WorkflowRun, error)
	SignalWorkflow(ctx context.Context, workflowID, runID, signalName string, arg any) error
}

// AlertLinks are the bases of the links notifications carry.
type AlertLinks struct {
	RunBaseURL string // the API: <base>/api/runs/<id>
	TemporalUI string // the Temporal Web UI
	Namespace  string
}

// Alerts evaluates the alert rules of the catalog over the store.
type Alerts struct {
	store   AlertStore
	signals IncidentSignaler
	links   AlertLinks
	window  resultWindow
	sent    signalMemory
	now     func() time.Time
	log     *slog.Logger
}

// NewAlerts builds the evaluation activity.
func NewAlerts(st AlertStore, signals IncidentSignaler, links AlertLinks, log *slog.Logger) *Alerts {
	return &Alerts{store: st, signals: signals, links: links, now: time.Now, log: log.With("component", "alerts")}
}

// maxResults bounds what one evaluation reads; past it the oldest results
// of the lookback are left out (and a warning says so).
const maxResults = 1_000_000

// EvaluateRules evaluates every rule, signals the Incident of each firing
// group (starting it when needed), and tells open incidents whose group no
// longer fires. A rule that cannot be evaluated is reported; the others go on.
func (a *Alerts) EvaluateRules(ctx context.Context, in contract.EvaluateInput) (contract.EvaluateOutput, error) {
	cat, err := a.store.GetCatalog(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return contract.EvaluateOutput{}, nil // nothing synced yet
	}
	if err != nil {
		return contract.EvaluateOutput{}, fmt.Errorf("reading the catalog: %w", err)
	}
	rules := cat.Alerts.Rules
	now := a.now().UTC()
	data, err := a.data(ctx, now, rules, cat)
	if err != nil {
		return contract.EvaluateOutput{}, err
	}
	alerts, ruleErrs := alert.Evaluate(rules, data)
	out := contract.EvaluateOutput{Rules: len(rules), Groups: len(alerts)}
	for _, re := range ruleErrs {
		out.RuleErrors = append(out.RuleErrors, re.Error())
	}
	open, err := a.store.ListIncidents(ctx, store.IncidentQuery{Open: true, Limit: 100_000})
	if err != nil {
		return out, fmt.Errorf("listing open incidents: %w", err)
	}
	isOpen := map[string]bool{}
	for _, inc := range open {
		isOpen[inc.Key] = true
	}
	for i := range alerts {
		al := &alerts[i]
		if !al.Firing {
			continue
		}
		out.Firing++
		// An open incident already told it fires needs no signal every
		// evaluation: that was a Temporal write per firing group per 10 s.
		if isOpen[al.Key] && a.sent.unchanged(al.Key, true, now) {
			continue
		}
		if err := a.fire(ctx, al, in); err != nil {
			return out, err
		}
		a.sent.record(al.Key, true, now)
	}
	for _, inc := range open {
		// Not firing, or no longer evaluated (rule removed, group gone):
		// the incident starts its resolve countdown.
		if firing(alerts, inc.Key) || a.sent.unchanged(inc.Key, false, now) {
			continue
		}
		sig := contract.AlertSignal{Firing: false, At: now}
		if err := a.signals.SignalWorkflow(ctx, inc.WorkflowID, "", contract.SignalAlert, sig); err != nil {
			a.log.Warn("telling an incident its condition cleared failed", "incident", inc.ID, "error", err)
			continue
		}
		a.sent.record(inc.Key, false, now)
		out.Cleared++
	}
	return out, nil
}

func firing(alerts []alert.Alert, key string) bool {
	for i := range alerts {
		if alerts[i].Key == key && alerts[i].Firing {
			return true
		}
	}
	return false
}

// data reads what the rules need: the results of their lookback, the
// monitors in force and the newest span of the services they watch.
func (a *Alerts) data(ctx context.Context, now time.Time, rules []alert.Rule, cat store.Catalog) (alert.Data, error) {
	d := alert.Data{Now: now, LastSpan: map[string]time.Time{}, MonitorSince: map[string]time.Time{}}
	for _, cm := range cat.Monitors {
		d.Monitors = append(d.Monitors, cm.Monitor)
		if !cm.Since.IsZero() {
			d.MonitorSince[cm.Monitor.ID] = cm.Since
		}
	}
	results, err := a.window.results(ctx, a.store, now, now.Add(-alert.Lookback(rules, d.Monitors...)))
	if err != nil {
		return d, fmt.Errorf("reading the results of the rules' windows: %w", err)
	}
	if len(results) >= maxResults {
		a.log.Warn("alert evaluation holds more results than it reads at once", "results", len(results))
	}
	d.Results = results
	for _, svc := range alert.WatchedServices(rules) {
		spans, err := a.store.ListSpans(ctx, store.SpanQuery{Service: svc, Limit: 1})
		if err != nil {
			return d, fmt.Errorf("reading the newest span of service %s: %w", svc, err)
		}
		if len(spans) > 0 {
			d.LastSpan[svc] = spans[0].Timestamp
		}
	}
	return d, nil
}

// fire signals the group's Incident, starting it if it is not running.
func (a *Alerts) fire(ctx context.Context, al *alert.Alert, in contract.EvaluateInput) error {
	evidence := a.evidence(ctx, al)
	sig := contract.AlertSignal{Firing: true, Value: al.Value, Summary: al.Summary, Evidence: evidence, At: a.now().UTC()}
	input := contract.IncidentInput{
		Rule: al.Rule, Key: al.Key, Labels: al.Labels, Severity: al.Severity, Channels: al.Channels,
		RemindEvery: al.RemindEvery, ResolveAfter: al.ResolveAfter, ReopenWindow: in.ReopenWindow,
		RunBaseURL: a.links.RunBaseURL, TemporalUI: a.links.TemporalUI, Namespace: a.links.Namespace,
	}
	opts := client.StartWorkflowOptions{
		ID:                       contract.IncidentWorkflowID(al.Key),
		TaskQueue:                contract.TaskQueueControl,
		WorkflowExecutionTimeout: 0, // an incident lasts as long as it fires
	}
	if _, err := a.signals.SignalWithStartWorkflow(ctx, opts.ID, contract.SignalAlert, sig, opts, contract.WorkflowIncident, input); err != nil {
		return fmt.Errorf("signalling incident %s of rule %s: %w", opts.ID, al.Rule, err)
	}
	return nil
}

// evidence flattens what the notification shows, with the slowest backend
// span of the failing run when the agent traced it.
func (a *Alerts) evidence(ctx context.Context, al *alert.Alert) map[string]string {
	e := al.Evidence
	ev := map[string]string{
		"result_id": e.ResultID, "monitor": e.Monitor, "location": e.Location, "step": e.Step,
		"error": e.Error, "assertion": e.Assertion, "commit": e.Commit, "workflow_id": e.WorkflowID,
		"run_id": e.RunID, "trace_id": e.TraceID, "confirmed": strconv.FormatBool(e.Confirmed),
	}
	ids := e.TraceIDs
	if len(ids) == 0 && e.TraceID != "" {
		ids = []string{e.TraceID}
	}
	ev["trace_ids"] = strings.Join(ids, ",")
	for k, v := range ev {
		if v == "" {
			delete(ev, k)
		}
	}
	if len(ids) == 0 {
		return ev
	}
	// Looked up again when the incident notifies (spans may still arrive);
	// this one stays in the evidence should that lookup fail.
	s, err := runtrace.Slowest(ctx, a.store, e.At, ids)
	if err != nil {
		a.log.Warn("reading the spans of a failing run failed", "traces", ids, "error", err)
		return ev
	}
	if s != nil {
		ev["span_service"], ev["span_name"], ev["span_id"], ev["span_trace_id"] = s.Service, s.Name, s.SpanID, s.TraceID
		ev["span_duration_us"] = strconv.FormatInt(s.Duration.US, 10)
	}
	return ev
}
