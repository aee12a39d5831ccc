package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"

	"github.com/vigil-dev/vigil/internal/contract"
)

// ClientOptions are the options vigil dials Temporal with. On loopback the
// gzip compression of every request is pure CPU cost, so it is turned off.
func ClientOptions(hostPort, namespace string, log *slog.Logger) client.Options {
	o := client.Options{HostPort: hostPort, Namespace: namespace, Logger: sdklog.NewStructuredLogger(log)}
	if host, _, err := net.SplitHostPort(hostPort); err == nil {
		if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || host == "localhost" {
			o.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{}
		}
	}
	return o
}

// SearchAttributes are the custom search attributes vigil needs.
var SearchAttributes = map[string]enumspb.IndexedValueType{
	contract.SearchAttrMonitorID:   enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	contract.SearchAttrStatus:      enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	contract.SearchAttrMonitorHash: enumspb.INDEXED_VALUE_TYPE_KEYWORD,
}

// EnsureSearchAttributes registers the missing custom search attributes on a
// namespace of any Temporal cluster.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	ops := c.OperatorService()
	have, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("listing search attributes of namespace %s: %w", namespace, err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, typ := range SearchAttributes {
		if _, ok := have.GetCustomAttributes()[name]; !ok {
			missing[name] = typ
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = ops.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: missing})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("adding search attributes to namespace %s: %w", namespace, err)
	}
	return nil
}

// EnsureSyncSchedule creates or updates the schedule that runs SyncMonitors
// and, when trigger is set, runs it once now.
func EnsureSyncSchedule(ctx context.Context, c client.Client, in contract.SyncInput, every time.Duration, trigger bool) error {
	return ensureSchedule(ctx, c, contract.SyncScheduleID, &client.ScheduleWorkflowAction{
		ID:                       contract.SyncWorkflowID,
		Workflow:                 contract.WorkflowSyncMonitors,
		Args:                     []any{in},
		TaskQueue:                contract.TaskQueueControl,
		WorkflowExecutionTimeout: 10 * time.Minute,
	}, every, trigger)
}

// EnsureEvaluateSchedule creates or updates the schedule that runs
// EvaluateAlerts every interval.
func EnsureEvaluateSchedule(ctx context.Context, c client.Client, in contract.EvaluateInput, every time.Duration) error {
	return ensureSchedule(ctx, c, contract.EvaluateScheduleID, &client.ScheduleWorkflowAction{
		ID:                       contract.EvaluateScheduleID + "-run",
		Workflow:                 contract.WorkflowEvaluateAlerts,
		Args:                     []any{in},
		TaskQueue:                contract.TaskQueueControl,
		WorkflowExecutionTimeout: 2 * time.Minute,
	}, every, false)
}

// EnsureAssembleSchedule creates or updates the schedule that runs
// AssembleTraces every interval, on the assembly queue. A run that
// continues as new to catch up keeps the schedule's next runs skipped.
func EnsureAssembleSchedule(ctx context.Context, c client.Client, in contract.AssembleInput, every time.Duration) error {
	return ensureSchedule(ctx, c, contract.AssembleScheduleID, &client.ScheduleWorkflowAction{
		ID:        contract.AssembleScheduleID + "-run",
		Workflow:  contract.WorkflowAssembleTraces,
		Args:      []any{in},
		TaskQueue: contract.TaskQueueAssembly,
		// Each run (continued-as-new ones too) gets its own run timeout.
		WorkflowRunTimeout: 10 * time.Minute,
	}, every, false)
}

// ensureSchedule creates the schedule, or updates its spec and action when
// it exists; overlapping runs are skipped.
func ensureSchedule(ctx context.Context, c client.Client, id string, action *client.ScheduleWorkflowAction, every time.Duration, trigger bool) error {
	sc := c.ScheduleClient()
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}}
	_, err := sc.Create(ctx, client.ScheduleOptions{
		ID:            id,
		Spec:          spec,
		Action:        action,
		Overlap:       enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		CatchupWindow: time.Minute,
	})
	h := sc.GetHandle(ctx, id)
	var exists *serviceerror.AlreadyExists
	switch {
	case err == nil:
	case errors.As(err, &exists) || errors.Is(err, temporal.ErrScheduleAlreadyRunning):
		err = h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(u client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := u.Description.Schedule
			s.Spec = &spec
			s.Action = action
			return &client.ScheduleUpdate{Schedule: &s}, nil
		}})
		if err != nil {
			return fmt.Errorf("updating schedule %s: %w", id, err)
		}
	default:
		return fmt.Errorf("creating schedule %s: %w", id, err)
	}
	if trigger {
		if err := h.Trigger(ctx, client.ScheduleTriggerOptions{Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP}); err != nil {
			return fmt.Errorf("triggering schedule %s: %w", id, err)
		}
	}
	return nil
}
