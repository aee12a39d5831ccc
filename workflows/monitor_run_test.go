package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
)

// Stubs with the activities' signatures, registered under contract names so
// the test environment can mock them.
func runCheckStub(context.Context, contract.RunCheckInput) (result.Result, error) {
	return result.Result{}, nil
}
func storeResultsStub(context.Context, contract.StoreResultsInput) error { return nil }

func newMonitorRunEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(MonitorRun, workflow.RegisterOptions{Name: contract.WorkflowMonitorRun})
	env.RegisterActivityWithOptions(runCheckStub, activity.RegisterOptions{Name: contract.ActivityRunCheck})
	env.RegisterActivityWithOptions(storeResultsStub, activity.RegisterOptions{Name: contract.ActivityStoreResults})
	return env
}

func testMonitor(confirm int, locations ...string) monitor.Monitor {
	return monitor.Monitor{ID: "shop", Type: monitor.TypeHTTP, Confirm: &confirm, Locations: locations,
		Schedule: monitor.Schedule{Every: monitor.Duration(30 * time.Second)}}
}

// checkReturning answers each attempt with the next status of the list.
func checkReturning(statuses ...string) func(context.Context, contract.RunCheckInput) (result.Result, error) {
	return func(_ context.Context, in contract.RunCheckInput) (result.Result, error) {
		r := result.Result{ID: in.ResultID, Monitor: result.Monitor{ID: in.Monitor.ID, Status: statuses[in.Attempt-1]}}
		r.Vigil.Attempt = in.Attempt
		r.Vigil.Confirmed = r.Up() || in.Confirm
		return r, nil
	}
}

func TestMonitorRun(t *testing.T) {
	tests := []struct {
		name       string
		monitor    monitor.Monitor
		statuses   []string
		wantStatus string
		wantChecks int
	}{
		{"up at once", testMonitor(1), []string{"up"}, "up", 1},
		{"down then confirmed down", testMonitor(1), []string{"down", "down"}, "down", 2},
		{"down then up on re-check", testMonitor(1), []string{"down", "up"}, "up", 2},
		{"confirm 0 counts the first failure", testMonitor(0), []string{"down"}, "down", 1},
		{"confirm 2 re-checks twice", testMonitor(2), []string{"down", "down", "down"}, "down", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newMonitorRunEnv(t)
			var stored []result.Result
			var checks []contract.RunCheckInput
			env.OnActivity(contract.ActivityRunCheck, mock.Anything, mock.Anything).Return(
				func(ctx context.Context, in contract.RunCheckInput) (result.Result, error) {
					checks = append(checks, in)
					return checkReturning(tt.statuses...)(ctx, in)
				})
			env.OnActivity(contract.ActivityStoreResults, mock.Anything, mock.Anything).Return(
				func(_ context.Context, in contract.StoreResultsInput) error {
					stored = append(stored, in.Results...)
					return nil
				})
			env.ExecuteWorkflow(contract.WorkflowMonitorRun, contract.MonitorRunInput{Monitor: tt.monitor, Commit: "abc"})
			require.True(t, env.IsWorkflowCompleted())
			require.NoError(t, env.GetWorkflowError())
			var out contract.MonitorRunOutput
			require.NoError(t, env.GetWorkflowResult(&out))
			require.Equal(t, tt.wantStatus, out.Status)
			require.Len(t, checks, tt.wantChecks)
			require.Len(t, stored, tt.wantChecks, "every attempt is stored")
			require.Len(t, out.ResultIDs, tt.wantChecks)
			for i, in := range checks {
				require.Equal(t, i+1, in.Attempt)
				require.Equal(t, "abc", in.Commit)
				require.Equal(t, monitor.DefaultLocation, in.Location)
				require.Equal(t, ResultID(in.WorkflowID, in.RunID, in.Location, in.Attempt), stored[i].ID)
			}
			last := stored[len(stored)-1]
			require.True(t, last.Vigil.Confirmed, "the last attempt decides")
			if len(stored) > 1 {
				require.False(t, stored[0].Vigil.Confirmed, "a first failure that is re-checked is not confirmed")
			}
		})
	}
}

func TestMonitorRunLocationsGetOwnQueues(t *testing.T) {
	env := newMonitorRunEnv(t)
	seen := map[string]bool{}
	env.OnActivity(contract.ActivityRunCheck, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in contract.RunCheckInput) (result.Result, error) {
			require.Equal(t, contract.CheckTaskQueue(in.Location), activity.GetInfo(ctx).TaskQueue)
			seen[in.Location] = true
			return checkReturning("up")(ctx, in)
		})
	env.OnActivity(contract.ActivityStoreResults, mock.Anything, mock.Anything).Return(nil)
	env.ExecuteWorkflow(contract.WorkflowMonitorRun, contract.MonitorRunInput{Monitor: testMonitor(1, "paris", "office")})
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, map[string]bool{"paris": true, "office": true}, seen)
}

func TestMonitorRunRetriesInfrastructureErrors(t *testing.T) {
	env := newMonitorRunEnv(t)
	calls := 0
	env.OnActivity(contract.ActivityRunCheck, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in contract.RunCheckInput) (result.Result, error) {
			calls++
			if calls == 1 {
				return result.Result{}, errors.New("browser crashed")
			}
			return checkReturning("up")(ctx, in)
		})
	storeCalls := 0
	env.OnActivity(contract.ActivityStoreResults, mock.Anything, mock.Anything).Return(
		func(context.Context, contract.StoreResultsInput) error {
			storeCalls++
			if storeCalls < 3 {
				return errors.New("database is locked")
			}
			return nil
		})
	env.ExecuteWorkflow(contract.WorkflowMonitorRun, contract.MonitorRunInput{Monitor: testMonitor(1)})
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, 2, calls, "an infrastructure error is retried")
	require.Equal(t, 3, storeCalls, "the store is retried until it is back")
}

func TestMonitorRunFailsWhenNoLocationRuns(t *testing.T) {
	env := newMonitorRunEnv(t)
	env.OnActivity(contract.ActivityRunCheck, mock.Anything, mock.Anything).Return(
		result.Result{}, temporal.NewNonRetryableApplicationError("no worker", "test", nil))
	env.ExecuteWorkflow(contract.WorkflowMonitorRun, contract.MonitorRunInput{Monitor: testMonitor(1)})
	require.Error(t, env.GetWorkflowError())
}
