// Package workers says which task queue runs which workflows and activities,
// with what concurrency: one pool per kind of work, so each can be sized.
package workers

import (
	"fmt"
	"log/slog"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/vigil-dev/vigil/activities"
	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/workflows"
)

// Config sizes the pools.
type Config struct {
	// Control runs the workflows and the store and sync activities.
	Control bool
	// ControlConcurrency bounds concurrent workflow tasks and activities of
	// the control pool.
	ControlConcurrency int
	// Locations served by this worker's check pools (one task queue each).
	Locations []string
	// CheckConcurrency bounds concurrent checks per location.
	CheckConcurrency int
	// BrowserConcurrency is how many browser journeys (one Chromium each)
	// run at once per location; 0 serves no browser queue.
	BrowserConcurrency int
	// BuildID identifies this worker build to Temporal.
	BuildID string
}

// Control holds the activities the control pool runs.
type Control struct {
	Results       *activities.Results
	Sync          *activities.Sync
	Alerts        *activities.Alerts
	Notifications *activities.Notifications
	Incidents     *activities.Incidents
	// Traces, when set, gets its own pool on the assembly queue.
	Traces *activities.Traces
}

// assemblyConcurrency: AssembleTraces runs one window at a time (its
// schedule skips overlaps); a second slot lets a retry start while the
// first attempt is still timing out.
const assemblyConcurrency = 2

// Pools are the running workers.
type Pools struct {
	workers []worker.Worker
	log     *slog.Logger
}

// Start starts the pools; checks may be nil when cfg.Locations is empty and
// control is zero when cfg.Control is false.
func Start(c client.Client, cfg Config, control Control, checks *activities.Checks, log *slog.Logger) (*Pools, error) {
	log = log.With("component", "workers")
	p := &Pools{log: log}
	if cfg.Control {
		w := worker.New(c, contract.TaskQueueControl, worker.Options{
			MaxConcurrentWorkflowTaskExecutionSize: cfg.ControlConcurrency,
			MaxConcurrentActivityExecutionSize:     cfg.ControlConcurrency,
			BuildID:                                cfg.BuildID,
		})
		RegisterControl(w, control)
		p.workers = append(p.workers, w)
		if control.Traces != nil {
			aw := worker.New(c, contract.TaskQueueAssembly, worker.Options{
				MaxConcurrentWorkflowTaskExecutionSize: assemblyConcurrency,
				MaxConcurrentActivityExecutionSize:     assemblyConcurrency,
				BuildID:                                cfg.BuildID,
			})
			RegisterAssembly(aw, control.Traces)
			p.workers = append(p.workers, aw)
		}
	}
	for _, loc := range cfg.Locations {
		if checks == nil {
			return nil, fmt.Errorf("location %s: no check activities configured", loc)
		}
		w := worker.New(c, contract.CheckTaskQueue(loc), worker.Options{
			MaxConcurrentActivityExecutionSize: cfg.CheckConcurrency,
			BuildID:                            cfg.BuildID,
		})
		RegisterChecks(w, checks)
		p.workers = append(p.workers, w)
		if cfg.BrowserConcurrency > 0 {
			bw := worker.New(c, contract.BrowserTaskQueue(loc), worker.Options{
				MaxConcurrentActivityExecutionSize: cfg.BrowserConcurrency,
				BuildID:                            cfg.BuildID,
			})
			RegisterChecks(bw, checks)
			p.workers = append(p.workers, bw)
		}
	}
	for i, w := range p.workers {
		if err := w.Start(); err != nil {
			for _, started := range p.workers[:i] {
				started.Stop()
			}
			return nil, fmt.Errorf("starting worker: %w", err)
		}
	}
	log.Info("workers started", "control", cfg.Control, "assembly", cfg.Control && control.Traces != nil, "locations", cfg.Locations,
		"control_concurrency", cfg.ControlConcurrency, "check_concurrency", cfg.CheckConcurrency, "browser_concurrency", cfg.BrowserConcurrency)
	return p, nil
}

// Stop stops every pool, letting running activities finish.
func (p *Pools) Stop() {
	for _, w := range p.workers {
		w.Stop()
	}
}

// Registrar is the part of worker.Worker that registers code.
type Registrar interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
	RegisterActivityWithOptions(a any, options activity.RegisterOptions)
}

// RegisterControl registers the workflows and control activities.
func RegisterControl(r Registrar, c Control) {
	RegisterWorkflows(r)
	if c.Results != nil {
		r.RegisterActivityWithOptions(c.Results.StoreResults, activity.RegisterOptions{Name: contract.ActivityStoreResults})
	}
	if c.Sync != nil {
		r.RegisterActivityWithOptions(c.Sync.FetchMonitors, activity.RegisterOptions{Name: contract.ActivityFetchMonitors})
		r.RegisterActivityWithOptions(c.Sync.ReconcileSchedules, activity.RegisterOptions{Name: contract.ActivityReconcileSchedules})
	}
	if c.Alerts != nil {
		r.RegisterActivityWithOptions(c.Alerts.EvaluateRules, activity.RegisterOptions{Name: contract.ActivityEvaluateRules})
	}
	if c.Notifications != nil {
		r.RegisterActivityWithOptions(c.Notifications.SendNotification, activity.RegisterOptions{Name: contract.ActivitySendNotification})
	}
	if c.Incidents != nil {
		r.RegisterActivityWithOptions(c.Incidents.StoreIncident, activity.RegisterOptions{Name: contract.ActivityStoreIncident})
	}
}

// RegisterWorkflows registers every workflow under its contract name.
func RegisterWorkflows(r Registrar) {
	r.RegisterWorkflowWithOptions(workflows.MonitorRun, workflow.RegisterOptions{Name: contract.WorkflowMonitorRun})
	r.RegisterWorkflowWithOptions(workflows.SyncMonitors, workflow.RegisterOptions{Name: contract.WorkflowSyncMonitors})
	r.RegisterWorkflowWithOptions(workflows.EvaluateAlerts, workflow.RegisterOptions{Name: contract.WorkflowEvaluateAlerts})
	r.RegisterWorkflowWithOptions(workflows.Incident, workflow.RegisterOptions{Name: contract.WorkflowIncident})
}

// RegisterAssembly registers AssembleTraces and its activities on the
// assembly queue.
func RegisterAssembly(r Registrar, t *activities.Traces) {
	r.RegisterWorkflowWithOptions(workflows.AssembleTraces, workflow.RegisterOptions{Name: contract.WorkflowAssembleTraces})
	r.RegisterActivityWithOptions(t.PlanTraceAssembly, activity.RegisterOptions{Name: contract.ActivityPlanTraceAssembly})
	r.RegisterActivityWithOptions(t.AssembleLateSpans, activity.RegisterOptions{Name: contract.ActivityAssembleLateSpans})
	r.RegisterActivityWithOptions(t.AssembleTraceWindow, activity.RegisterOptions{Name: contract.ActivityAssembleTraceWindow})
	r.RegisterActivityWithOptions(t.AdvanceTraceWatermark, activity.RegisterOptions{Name: contract.ActivityAdvanceTraceMark})
}

// RegisterChecks registers the check activities of a location queue.
func RegisterChecks(r Registrar, c *activities.Checks) {
	r.RegisterActivityWithOptions(c.RunCheck, activity.RegisterOptions{Name: contract.ActivityRunCheck})
}
