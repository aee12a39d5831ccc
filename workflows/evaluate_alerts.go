package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/vigil-dev/vigil/internal/contract"
)

// EvaluateAlerts runs on its own schedule (every 10 s by default): one
// activity evaluates every rule over the store and signals (or starts) the
// Incident workflow of each group it evaluated. The groups' details stay in
// the activity: a thousand rules would not fit this history.
func EvaluateAlerts(ctx workflow.Context, in contract.EvaluateInput) (contract.EvaluateOutput, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           contract.TaskQueueControl,
		StartToCloseTimeout: time.Minute,
		// The next scheduled evaluation is the better retry than a late one.
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: 2},
	})
	var out contract.EvaluateOutput
	if err := workflow.ExecuteActivity(ctx, contract.ActivityEvaluateRules, in).Get(ctx, &out); err != nil {
		return out, fmt.Errorf("evaluating alert rules: %w", err)
	}
	if len(out.RuleErrors) > 0 {
		workflow.GetLogger(ctx).Warn("some alert rules could not be evaluated", "errors", out.RuleErrors)
	}
	return out, nil
}
