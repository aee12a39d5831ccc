package activities

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
)

// Checker runs one monitor once.
type Checker interface {
	Run(ctx context.Context, m monitor.Monitor) (result.Result, error)
}

// CheckObserver is told about every finished check (metrics).
type CheckObserver interface {
	ObserveCheck(r result.Result)
}

// Checks runs checks on a location's task queue. It needs no store: a
// private location's worker holds only the credentials of its monitors.
type Checks struct {
	checker  Checker
	hostname string
	observer CheckObserver
	log      *slog.Logger
}

// NewChecks builds the check activities.
func NewChecks(checker Checker, hostname string, observer CheckObserver, log *slog.Logger) *Checks {
	return &Checks{checker: checker, hostname: hostname, observer: observer, log: log.With("component", "checks")}
}

// RunCheck runs one attempt and returns its result with its deterministic id.
// A down target or a failed assertion is a result; the error is reserved for
// infrastructure failures, which Temporal retries.
func (c *Checks) RunCheck(ctx context.Context, in contract.RunCheckInput) (result.Result, error) {
	r, err := c.checker.Run(ctx, in.Monitor)
	if err != nil {
		return result.Result{}, fmt.Errorf("running check of monitor %s at %s: %w", in.Monitor.ID, in.Location, err)
	}
	r.ID = in.ResultID
	r.Monitor.CheckGroup = in.WorkflowID + "/" + in.RunID
	r.Observer = result.Observer{Name: in.Location, Hostname: c.hostname, Geo: result.Geo{Name: in.Location}}
	r.Vigil.WorkflowID = in.WorkflowID
	r.Vigil.RunID = in.RunID
	r.Vigil.Attempt = in.Attempt
	r.Vigil.Confirmed = r.Up() || in.Confirm
	r.Vigil.Commit = in.Commit
	r.Vigil.SourceFile = in.Monitor.Source.File
	r.Vigil.ScheduledAt = in.ScheduledAt
	if c.observer != nil {
		c.observer.ObserveCheck(r)
	}
	c.log.Debug("check finished", "monitor", in.Monitor.ID, "location", in.Location, "attempt", in.Attempt, "status", r.Monitor.Status)
	return r, nil
}
