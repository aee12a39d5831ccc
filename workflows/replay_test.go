package workflows

import (
	"testing"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/vigil-dev/vigil/internal/contract"
)

// TestReplayMonitorRunHistory replays a history recorded from a real run
// (refresh it with `VIGIL_UPDATE_HISTORY=1 go test ./workers -run
// TestRunStoresOneResultAndLeaksNoSecret`). A change to MonitorRun that is
// not replay-safe for runs already in flight fails here.
func TestReplayMonitorRunHistory(t *testing.T) {
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(MonitorRun, workflow.RegisterOptions{Name: contract.WorkflowMonitorRun})
	if err := r.ReplayWorkflowHistoryFromJSONFile(nil, "testdata/monitor_run_history.json"); err != nil {
		t.Fatalf("replaying the recorded MonitorRun history: %v", err)
	}
}

// TestReplayAssembleTracesHistory replays a first AssembleTraces run
// recorded on the real server (refresh it with `VIGIL_UPDATE_HISTORY=1 go
// test ./workers -run TestAssembleTracesOnTheRealServer`).
func TestReplayAssembleTracesHistory(t *testing.T) {
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(AssembleTraces, workflow.RegisterOptions{Name: contract.WorkflowAssembleTraces})
	if err := r.ReplayWorkflowHistoryFromJSONFile(nil, "testdata/assemble_traces_history.json"); err != nil {
		t.Fatalf("replaying the recorded AssembleTraces history: %v", err)
	}
}
