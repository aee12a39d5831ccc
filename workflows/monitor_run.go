package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
)

var (
	monitorIDKey = temporal.NewSearchAttributeKeyKeyword(contract.SearchAttrMonitorID)
	statusKey    = temporal.NewSearchAttributeKeyKeyword(contract.SearchAttrStatus)
	// Set by the server on workflows a Schedule starts.
	scheduledStartKey = temporal.NewSearchAttributeKeyTime("TemporalScheduledStartTime")
)

// MonitorRun runs one monitor once in each of its locations: the check, then
// up to `confirm` re-checks while it is down, storing every attempt. A failed
// assertion is a result; only infrastructure errors fail activities, and
// those are retried with backoff.
func MonitorRun(ctx workflow.Context, in contract.MonitorRunInput) (contract.MonitorRunOutput, error) {
	m := in.Monitor
	info := workflow.GetInfo(ctx)
	var scheduledAt *time.Time
	if t, ok := workflow.GetTypedSearchAttributes(ctx).GetTime(scheduledStartKey); ok {
		scheduledAt = &t
	}
	// Runs started by hand (trigger, tests) lack the attribute the schedule sets.
	if _, ok := workflow.GetTypedSearchAttributes(ctx).GetKeyword(monitorIDKey); !ok {
		if err := workflow.UpsertTypedSearchAttributes(ctx, monitorIDKey.ValueSet(m.ID)); err != nil {
			return contract.MonitorRunOutput{}, fmt.Errorf("setting %s: %w", contract.SearchAttrMonitorID, err)
		}
	}

	locations := m.LocationsOrDefault()
	outs := make([]locationOutcome, len(locations))
	wg := workflow.NewWaitGroup(ctx)
	for i, loc := range locations {
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			outs[i] = runLocation(ctx, in, loc, info, scheduledAt)
		})
	}
	wg.Wait(ctx)

	out := contract.MonitorRunOutput{Status: result.StatusUp}
	for i, o := range outs {
		out.ResultIDs = append(out.ResultIDs, o.resultIDs...)
		if o.err != nil {
			out.Failed = append(out.Failed, locations[i])
			workflow.GetLogger(ctx).Error("check could not run", "location", locations[i], "error", o.err)
			continue
		}
		if o.status == result.StatusDown {
			out.Status = result.StatusDown
		}
	}
	if len(out.Failed) == len(locations) {
		out.Status = ""
		return out, fmt.Errorf("monitor %s could not run in any location: %w", m.ID, outs[0].err)
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, statusKey.ValueSet(out.Status)); err != nil {
		return out, fmt.Errorf("setting %s: %w", contract.SearchAttrStatus, err)
	}
	return out, nil
}

type locationOutcome struct {
	status    string
	resultIDs []string
	err       error
}

func runLocation(ctx workflow.Context, in contract.MonitorRunInput, loc string, info *workflow.Info, scheduledAt *time.Time) locationOutcome {
	var o locationOutcome
	confirm := in.Monitor.ConfirmCount()
	checkCtx := workflow.WithActivityOptions(ctx, checkActivityOptions(in, loc))
	storeCtx := workflow.WithLocalActivityOptions(ctx, storeActivityOptions())
	for attempt := 1; attempt <= confirm+1; attempt++ {
		input := contract.RunCheckInput{
			Monitor:     in.Monitor,
			Commit:      in.Commit,
			Location:    loc,
			Attempt:     attempt,
			Confirm:     attempt == confirm+1,
			ResultID:    ResultID(info.WorkflowExecution.ID, info.WorkflowExecution.RunID, loc, attempt),
			WorkflowID:  info.WorkflowExecution.ID,
			RunID:       info.WorkflowExecution.RunID,
			ScheduledAt: scheduledAt,
		}
		var r result.Result
		if err := workflow.ExecuteActivity(checkCtx, contract.ActivityRunCheck, input).Get(ctx, &r); err != nil {
			o.err = fmt.Errorf("check at %s, attempt %d: %w", loc, attempt, err)
			return o
		}
		// A local activity: the control worker running this workflow holds
		// the store, so the result is written without another task dispatch.
		err := workflow.ExecuteLocalActivity(storeCtx, contract.ActivityStoreResults,
			contract.StoreResultsInput{Results: []result.Result{r}}).Get(ctx, nil)
		if err != nil {
			o.err = fmt.Errorf("storing result %s: %w", r.ID, err)
			return o
		}
		o.resultIDs = append(o.resultIDs, r.ID)
		o.status = r.Monitor.Status
		if r.Up() {
			return o
		}
	}
	return o
}

// ResultID is the deterministic id of one attempt's result.
func ResultID(workflowID, runID, location string, attempt int) string {
	return fmt.Sprintf("%s/%s/%s/%d", workflowID, runID, location, attempt)
}

func checkActivityOptions(in contract.MonitorRunInput, loc string) workflow.ActivityOptions {
	timeout := in.Monitor.TimeoutOrDefault()
	wait := time.Minute
	if every := time.Duration(in.Monitor.Schedule.Every); every > wait {
		wait = every
	}
	attempts := in.Monitor.Retries + 1
	if attempts < 2 {
		// A worker lost mid-check always gets one more try.
		attempts = 2
	}
	queue := contract.CheckTaskQueue(loc)
	if in.Monitor.Type == monitor.TypeBrowser {
		queue = contract.BrowserTaskQueue(loc)
	}
	return workflow.ActivityOptions{
		TaskQueue:              queue,
		ScheduleToStartTimeout: wait, // no worker serves the location
		StartToCloseTimeout:    timeout + 10*time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    30 * time.Second,
			MaximumAttempts:    int32(attempts),
		},
	}
}

func storeActivityOptions() workflow.LocalActivityOptions {
	return workflow.LocalActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		// The store being down must not lose a result: retry until it is back.
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    500 * time.Millisecond,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	}
}
