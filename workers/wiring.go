package workers

import (
	"context"
	"log/slog"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/vigil-dev/vigil/activities"
	"github.com/vigil-dev/vigil/internal/check"
	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/correlate/pipeline"
	"github.com/vigil-dev/vigil/internal/gitrepo"
	"github.com/vigil-dev/vigil/internal/secrets"
	"github.com/vigil-dev/vigil/internal/store"
)

// ControlStore is what the control pool's activities keep.
type ControlStore interface {
	store.ResultWriter
	store.CatalogStore
}

// NewControl builds the control activities: results into st, monitors
// repositories cloned under reposDir, schedules through c. observer may be nil.
func NewControl(st ControlStore, c client.Client, reposDir string, observer activities.SyncObserver, log *slog.Logger) Control {
	opener := func(source, branch string) (activities.RepoSyncer, error) {
		return gitrepo.Open(source, branch, reposDir, log)
	}
	return Control{
		Results: activities.NewResults(st),
		Sync:    activities.NewSync(st, opener, activities.NewSchedules(c.ScheduleClient(), log), observer, log),
	}
}

// NewChecks builds the check activities of a location's pool, resolving
// secrets from src. observer may be nil.
func NewChecks(src secrets.Source, hostname string, observer activities.CheckObserver, log *slog.Logger) *activities.Checks {
	return NewChecksWith(check.Options{Secrets: src, Hostname: hostname, Logger: log}, observer, log)
}

// NewChecksWith is NewChecks with every check option (browser limits...).
func NewChecksWith(opts check.Options, observer activities.CheckObserver, log *slog.Logger) *activities.Checks {
	if opts.Logger == nil {
		opts.Logger = log
	}
	return activities.NewChecks(check.NewRunner(opts), opts.Hostname, observer, log)
}

// AlertingStore is what the alerting activities keep.
type AlertingStore interface {
	activities.AlertStore
	store.IncidentWriter
}

// AlertingOptions configure the alerting activities of the control pool.
type AlertingOptions struct {
	Links   activities.AlertLinks
	Secrets secrets.Source // resolves the channels' ${secrets.NAME}
	Notify  activities.NotifyOptions
}

// AddAlerting adds rule evaluation, notifications and incident storage to
// the control activities.
func AddAlerting(ctl *Control, st AlertingStore, c client.Client, o AlertingOptions, log *slog.Logger) {
	ctl.Alerts = activities.NewAlerts(st, c, o.Links, log)
	ctl.Notifications = activities.NewNotifications(st, o.Secrets, o.Notify, log).WithSpans(st)
	ctl.Incidents = activities.NewIncidents(st)
	if ctl.Results != nil {
		// A failure is evaluated now, not at the next tick (buffered behind
		// an evaluation in progress, never dropped).
		ctl.Results.OnDown(func(ctx context.Context) error {
			return c.ScheduleClient().GetHandle(ctx, contract.EvaluateScheduleID).Trigger(ctx,
				client.ScheduleTriggerOptions{Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE})
		}, log)
	}
}

// AddTraces adds trace assembly (its own pool on the assembly queue) to
// the control activities.
func AddTraces(ctl *Control, st activities.TraceStore, log *slog.Logger) {
	ctl.Traces = activities.NewTraces(st, pipeline.Options{}, log)
}
