package workflows

import (
	"context"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/vigil-dev/vigil/internal/contract"
)

func fetchStub(context.Context, contract.SyncInput) (contract.SyncPlan, error) {
	return contract.SyncPlan{}, nil
}

func reconcileStub(context.Context, contract.ReconcileInput) (contract.ReconcileOutput, error) {
	return contract.ReconcileOutput{}, nil
}

func newSyncEnv() *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(SyncMonitors, workflow.RegisterOptions{Name: contract.WorkflowSyncMonitors})
	env.RegisterActivityWithOptions(fetchStub, activity.RegisterOptions{Name: contract.ActivityFetchMonitors})
	env.RegisterActivityWithOptions(reconcileStub, activity.RegisterOptions{Name: contract.ActivityReconcileSchedules})
	return env
}

func TestSyncMonitorsReconcilesTheFetchedCommit(t *testing.T) {
	env := newSyncEnv()
	env.OnActivity(contract.ActivityFetchMonitors, mock.Anything, contract.SyncInput{Source: "/repo", Branch: "main"}).
		Return(contract.SyncPlan{Commit: "c1", Monitors: 3, Removed: []string{"old"}}, nil)
	env.OnActivity(contract.ActivityReconcileSchedules, mock.Anything, contract.ReconcileInput{Commit: "c1", Removed: []string{"old"}}).
		Return(contract.ReconcileOutput{Created: []string{"a"}, Deleted: []string{"old"}, Unchanged: 2}, nil)
	env.ExecuteWorkflow(contract.WorkflowSyncMonitors, contract.SyncInput{Source: "/repo", Branch: "main"})
	require.NoError(t, env.GetWorkflowError())
	var out contract.ReconcileOutput
	require.NoError(t, env.GetWorkflowResult(&out))
	require.Equal(t, []string{"a"}, out.Created)
	require.Equal(t, []string{"old"}, out.Deleted)
	env.AssertExpectations(t)
}

func TestSyncMonitorsKeepsSchedulesWhenTheRepositoryIsUnreachable(t *testing.T) {
	env := newSyncEnv()
	env.OnActivity(contract.ActivityFetchMonitors, mock.Anything, mock.Anything).
		Return(contract.SyncPlan{Commit: "c0", FetchError: "connection refused"}, nil)
	env.ExecuteWorkflow(contract.WorkflowSyncMonitors, contract.SyncInput{Source: "http://127.0.0.1:1/x.git"})
	require.NoError(t, env.GetWorkflowError())
	env.AssertNotCalled(t, contract.ActivityReconcileSchedules, mock.Anything, mock.Anything)
}
