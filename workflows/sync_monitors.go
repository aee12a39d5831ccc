package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/vigil-dev/vigil/internal/contract"
)

// SyncMonitors fetches the monitors repository, validates it, stores the
// catalog, and reconciles one Temporal Schedule per monitor with it.
func SyncMonitors(ctx workflow.Context, in contract.SyncInput) (contract.ReconcileOutput, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           contract.TaskQueueControl,
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    10 * time.Second,
			MaximumAttempts:    3,
		},
	})
	var plan contract.SyncPlan
	if err := workflow.ExecuteActivity(ctx, contract.ActivityFetchMonitors, in).Get(ctx, &plan); err != nil {
		return contract.ReconcileOutput{}, fmt.Errorf("fetching monitors from %s: %w", in.Source, err)
	}
	logger := workflow.GetLogger(ctx)
	if plan.FetchError != "" {
		// The previous catalog stays in force; schedules are left as they are.
		logger.Warn("monitors repository unreachable, keeping previous monitors", "source", in.Source, "error", plan.FetchError)
		return contract.ReconcileOutput{}, nil
	}
	var out contract.ReconcileOutput
	err := workflow.ExecuteActivity(ctx, contract.ActivityReconcileSchedules,
		contract.ReconcileInput{Commit: plan.Commit, Removed: plan.Removed}).Get(ctx, &out)
	if err != nil {
		return out, fmt.Errorf("reconciling schedules with commit %s: %w", plan.Commit, err)
	}
	logger.Info("monitors synced", "commit", plan.Commit, "monitors", plan.Monitors, "invalid", plan.Invalid,
		"created", len(out.Created), "updated", len(out.Updated), "deleted", len(out.Deleted))
	return out, nil
}
