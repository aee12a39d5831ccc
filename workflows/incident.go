package workflows

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/notify"
	"github.com/vigil-dev/vigil/internal/store"
)

// historyLimit bounds an Incident's history: past it the workflow continues
// as new with its state (an incident firing for days gets a signal per
// evaluation).
const historyLimit = 2000

// Incident owns the lifecycle of one alert rule and group: it notifies when
// it fires, reminds while it fires unacknowledged, updates the message when
// acknowledged and when resolved, and stores its state after every change.
// Evaluations arrive as SignalAlert; it resolves only after the condition
// has been false for ResolveAfter, and a group firing again within
// ReopenWindow of resolving reopens the same incident: flapping costs
// message updates, not new pages.
func Incident(ctx workflow.Context, in contract.IncidentInput) error {
	inc := newIncident(ctx, in)
	if in.State == nil {
		// Started by signal-with-start: the first evaluation is waiting.
		var first contract.AlertSignal
		inc.alerts.Receive(ctx, &first)
		inc.st.Last = first
		inc.notifyAll(ctx, notify.KindFiring, "")
		inc.store(ctx)
	}
	if err := workflow.SetQueryHandler(ctx, contract.QueryIncident, func() (contract.IncidentState, error) {
		return inc.st, nil
	}); err != nil {
		return fmt.Errorf("registering the incident query: %w", err)
	}
	return inc.run(ctx)
}

type incident struct {
	in      contract.IncidentInput
	st      contract.IncidentState
	alerts  workflow.ReceiveChannel
	acks    workflow.ReceiveChannel
	resolve workflow.ReceiveChannel
	clearAt time.Time // when the condition was first seen false, zero while firing
}

func newIncident(ctx workflow.Context, in contract.IncidentInput) *incident {
	inc := &incident{
		in:      in,
		alerts:  workflow.GetSignalChannel(ctx, contract.SignalAlert),
		acks:    workflow.GetSignalChannel(ctx, contract.SignalAck),
		resolve: workflow.GetSignalChannel(ctx, contract.SignalResolve),
	}
	if in.State != nil {
		inc.st = *in.State
		return inc
	}
	now := workflow.Now(ctx).UTC()
	inc.st = contract.IncidentState{
		ID:        workflow.GetInfo(ctx).WorkflowExecution.ID + "@" + strconv.FormatInt(now.Unix(), 10),
		Status:    store.IncidentFiring,
		StartedAt: now,
		Refs:      map[string]notify.Ref{},
	}
	return inc
}

// run waits for signals and timers until the incident is over.
func (inc *incident) run(ctx workflow.Context) error {
	for {
		if workflow.GetInfo(ctx).GetCurrentHistoryLength() > historyLimit {
			return inc.continueAsNew(ctx)
		}
		done := false
		timerCtx, cancelTimer := workflow.WithCancel(ctx)
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(inc.alerts, func(c workflow.ReceiveChannel, _ bool) {
			var sig contract.AlertSignal
			c.Receive(ctx, &sig)
			inc.onAlert(ctx, sig)
		})
		sel.AddReceive(inc.acks, func(c workflow.ReceiveChannel, _ bool) {
			var sig contract.ActionSignal
			c.Receive(ctx, &sig)
			inc.onAck(ctx, sig)
		})
		sel.AddReceive(inc.resolve, func(c workflow.ReceiveChannel, _ bool) {
			var sig contract.ActionSignal
			c.Receive(ctx, &sig)
			done = inc.onResolve(ctx, sig)
		})
		if wait, what := inc.nextTimer(ctx); wait > 0 {
			sel.AddFuture(workflow.NewTimer(timerCtx, wait), func(f workflow.Future) {
				if f.Get(ctx, nil) == nil {
					done = inc.onTimer(ctx, what)
				}
			})
		}
		sel.Select(ctx)
		cancelTimer()
		if done {
			return nil
		}
	}
}

type timerKind int

const (
	timerNone timerKind = iota
	timerRemind
	timerResolve
	timerEnd // the reopen window after resolving has passed
)

// nextTimer is the one timer the current state waits for.
func (inc *incident) nextTimer(ctx workflow.Context) (time.Duration, timerKind) {
	now := workflow.Now(ctx)
	switch {
	case inc.st.Status == store.IncidentResolved:
		return max(inc.st.ResolvedAt.Add(inc.in.ReopenWindow).Sub(now), time.Millisecond), timerEnd
	case !inc.clearAt.IsZero():
		return max(inc.clearAt.Add(inc.in.ResolveAfter).Sub(now), time.Millisecond), timerResolve
	case inc.st.Status == store.IncidentFiring && inc.in.RemindEvery > 0:
		// From the start or the last reminder, not from the last signal:
		// evaluations arrive far more often than reminders are due.
		base := inc.st.StartedAt
		if inc.st.RemindedAt != nil {
			base = *inc.st.RemindedAt
		}
		return max(base.Add(inc.in.RemindEvery).Sub(now), time.Millisecond), timerRemind
	}
	return 0, timerNone
}

func (inc *incident) onAlert(ctx workflow.Context, sig contract.AlertSignal) {
	if !sig.Firing {
		if inc.clearAt.IsZero() && inc.st.Status != store.IncidentResolved {
			inc.clearAt = workflow.Now(ctx)
		}
		return
	}
	inc.clearAt = time.Time{}
	inc.st.Last = sig
	if inc.st.Status == store.IncidentResolved { // firing again within the reopen window
		inc.st.Status = store.IncidentFiring
		inc.st.ResolvedAt, inc.st.ResolvedBy = nil, ""
		inc.st.Reopened++
		inc.notifyAll(ctx, notify.KindFiring, "")
		inc.store(ctx)
	}
}

func (inc *incident) onAck(ctx workflow.Context, sig contract.ActionSignal) {
	if inc.st.Status != store.IncidentFiring || !inc.mine(sig) {
		return
	}
	now := workflow.Now(ctx).UTC()
	inc.st.Status, inc.st.AckedAt, inc.st.AckedBy = store.IncidentAcknowledged, &now, sig.By
	inc.notifyAll(ctx, notify.KindAcknowledged, sig.By)
	inc.store(ctx)
}

// onResolve resolves by hand; the incident ends at once (a condition still
// failing starts a new incident at the next evaluation).
func (inc *incident) onResolve(ctx workflow.Context, sig contract.ActionSignal) bool {
	if inc.st.Status == store.IncidentResolved || !inc.mine(sig) {
		return false
	}
	inc.resolveNow(ctx, sig.By)
	return true
}

func (inc *incident) onTimer(ctx workflow.Context, what timerKind) bool {
	switch what {
	case timerRemind:
		now := workflow.Now(ctx).UTC()
		inc.st.Reminders++
		inc.st.RemindedAt = &now
		inc.notifyAll(ctx, notify.KindReminder, "")
		inc.store(ctx)
	case timerResolve:
		inc.clearAt = time.Time{}
		inc.resolveNow(ctx, "")
	case timerEnd:
		return true
	}
	return false
}

func (inc *incident) resolveNow(ctx workflow.Context, by string) {
	now := workflow.Now(ctx).UTC()
	inc.st.Status, inc.st.ResolvedAt, inc.st.ResolvedBy = store.IncidentResolved, &now, by
	inc.notifyAll(ctx, notify.KindResolved, by)
	inc.store(ctx)
}

// mine is false for an action aimed at another occurrence of this group.
func (inc *incident) mine(sig contract.ActionSignal) bool {
	return sig.IncidentID == "" || sig.IncidentID == inc.st.ID
}

func (inc *incident) continueAsNew(ctx workflow.Context) error {
	// Signals received but not handled would be lost: handle them first.
	for {
		var sig contract.AlertSignal
		if !inc.alerts.ReceiveAsync(&sig) {
			break
		}
		inc.onAlert(ctx, sig)
	}
	for {
		var sig contract.ActionSignal
		if !inc.acks.ReceiveAsync(&sig) {
			break
		}
		inc.onAck(ctx, sig)
	}
	var sig contract.ActionSignal
	if inc.resolve.ReceiveAsync(&sig) && inc.onResolve(ctx, sig) {
		return nil
	}
	next := inc.in
	st := inc.st
	next.State = &st
	return workflow.NewContinueAsNewError(ctx, Incident, next)
}

// notifyAll sends one event to every channel, in parallel; a channel that
// fails (after its retries) is logged and does not hold the others back.
func (inc *incident) notifyAll(ctx workflow.Context, kind notify.Kind, by string) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           contract.TaskQueueControl,
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
			MaximumAttempts:    8,
		},
	})
	futures := make([]workflow.Future, len(inc.in.Channels))
	for i, ch := range inc.in.Channels {
		futures[i] = workflow.ExecuteActivity(ctx, contract.ActivitySendNotification,
			contract.NotifyInput{Channel: ch, Event: inc.event(ctx, kind, by, ch)})
	}
	for i, f := range futures {
		var ref notify.Ref
		if err := f.Get(ctx, &ref); err != nil {
			workflow.GetLogger(ctx).Error("notification failed", "channel", inc.in.Channels[i], "kind", kind, "error", err)
			continue
		}
		inc.st.Notifications++
		if !ref.IsZero() {
			inc.st.Refs[inc.in.Channels[i]] = ref
		}
	}
}

func (inc *incident) event(ctx workflow.Context, kind notify.Kind, by, channel string) notify.Event {
	ev := inc.st.Last.Evidence
	// (incident, kind, seq) names a delivery (webhook receivers drop
	// repeats): reminders count up, the other kinds repeat only on reopen.
	seq := inc.st.Reopened
	if kind == notify.KindReminder {
		seq = inc.st.Reminders
	}
	return notify.Event{
		Kind: kind, IncidentID: inc.st.ID, Seq: seq,
		Rule: inc.in.Rule, Severity: inc.in.Severity, Summary: inc.st.Last.Summary, Group: inc.in.Labels,
		Monitor: ev["monitor"], Location: ev["location"], FailingStep: ev["step"], Error: ev["error"],
		Assertion: ev["assertion"], Confirmed: ev["confirmed"] == "true", Commit: ev["commit"],
		RunURL: inc.runURL(ev["result_id"]), WorkflowURL: inc.workflowURL(ev["workflow_id"], ev["run_id"]),
		SlowestSpan: slowestSpan(ev), TraceIDs: traceIDs(ev),
		StartedAt: inc.st.StartedAt, At: workflow.Now(ctx).UTC(), By: by, Ref: inc.st.Refs[channel],
	}
}

func (inc *incident) runURL(resultID string) string {
	if inc.in.RunBaseURL == "" || resultID == "" {
		return ""
	}
	return inc.in.RunBaseURL + "/api/runs/" + url.PathEscape(resultID)
}

func (inc *incident) workflowURL(workflowID, runID string) string {
	if inc.in.TemporalUI == "" || workflowID == "" {
		return ""
	}
	u := inc.in.TemporalUI + "/namespaces/" + url.PathEscape(inc.in.Namespace) + "/workflows/" + url.PathEscape(workflowID)
	if runID != "" {
		u += "/" + url.PathEscape(runID)
	}
	return u
}

// slowestSpan reads the span the evaluation attached to the evidence.
func slowestSpan(ev map[string]string) *notify.Span {
	if ev["span_name"] == "" {
		return nil
	}
	us, _ := strconv.ParseInt(ev["span_duration_us"], 10, 64)
	trace := ev["span_trace_id"]
	if trace == "" { // evidence of an evaluation before span_trace_id
		trace = ev["trace_id"]
	}
	return &notify.Span{Service: ev["span_service"], Name: ev["span_name"], TraceID: trace, SpanID: ev["span_id"],
		Duration: time.Duration(us) * time.Microsecond}
}

// traceIDs are the traces of the evidence's run.
func traceIDs(ev map[string]string) []string {
	if ids := ev["trace_ids"]; ids != "" {
		return strings.Split(ids, ",")
	}
	if id := ev["trace_id"]; id != "" {
		return []string{id}
	}
	return nil
}

// store writes the incident's state; a failure is logged, the lifecycle
// goes on (the next change writes it again).
func (inc *incident) store(ctx workflow.Context) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           contract.TaskQueueControl,
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 30 * time.Second, MaximumAttempts: 10},
	})
	info := workflow.GetInfo(ctx)
	doc := store.Incident{
		ID: inc.st.ID, Rule: inc.in.Rule, Key: inc.in.Key, Labels: inc.in.Labels, State: inc.st.Status,
		Severity: inc.in.Severity, Summary: inc.st.Last.Summary, Value: inc.st.Last.Value,
		StartedAt: inc.st.StartedAt, UpdatedAt: workflow.Now(ctx).UTC(),
		AckedAt: inc.st.AckedAt, AckedBy: inc.st.AckedBy, ResolvedAt: inc.st.ResolvedAt, ResolvedBy: inc.st.ResolvedBy,
		Notifications: inc.st.Notifications, Evidence: inc.st.Last.Evidence,
		WorkflowID: info.WorkflowExecution.ID, RunID: info.WorkflowExecution.RunID,
	}
	if err := workflow.ExecuteActivity(ctx, contract.ActivityStoreIncident, doc).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("storing the incident failed", "incident", inc.st.ID, "error", err)
	}
}
