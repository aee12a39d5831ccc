package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/vigil-dev/vigil/internal/contract"
)

var w0 = time.Date(2026, 3, 14, 15, 9, 20, 0, time.UTC)

// fakeAssembly plays the activities: windows hold `spans` spans each
// unless tooMany says otherwise; advances are recorded.
type fakeAssembly struct {
	plan     contract.TracePlan
	late     []contract.LateOutput // one per page
	tooMany  func(contract.WindowInput) bool
	failAt   time.Time // a window from here fails
	windows  []contract.WindowInput
	advances []contract.AdvanceInput
}

func (f *fakeAssembly) Plan(context.Context, contract.AssembleInput) (contract.TracePlan, error) {
	return f.plan, nil
}

func (f *fakeAssembly) Late(_ context.Context, in contract.LateInput) (contract.LateOutput, error) {
	if len(f.late) == 0 {
		return contract.LateOutput{Next: in.Cursor}, nil
	}
	out := f.late[0]
	f.late = f.late[1:]
	return out, nil
}

func (f *fakeAssembly) Window(_ context.Context, in contract.WindowInput) (contract.WindowOutput, error) {
	f.windows = append(f.windows, in)
	if !f.failAt.IsZero() && !in.From.Before(f.failAt) {
		return contract.WindowOutput{}, temporal.NewNonRetryableApplicationError("store down", "store", errors.New("store down"))
	}
	if f.tooMany != nil && f.tooMany(in) && !in.Truncate {
		return contract.WindowOutput{TooMany: true}, nil
	}
	return contract.WindowOutput{Traces: 1}, nil
}

func (f *fakeAssembly) Advance(_ context.Context, in contract.AdvanceInput) error {
	f.advances = append(f.advances, in)
	return nil
}

func runAssembly(t *testing.T, f *fakeAssembly, in contract.AssembleInput) (*testsuite.TestWorkflowEnvironment, contract.AssembleOutput) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(AssembleTraces, workflow.RegisterOptions{Name: contract.WorkflowAssembleTraces})
	env.RegisterActivityWithOptions(f.Plan, activity.RegisterOptions{Name: contract.ActivityPlanTraceAssembly})
	env.RegisterActivityWithOptions(f.Late, activity.RegisterOptions{Name: contract.ActivityAssembleLateSpans})
	env.RegisterActivityWithOptions(f.Window, activity.RegisterOptions{Name: contract.ActivityAssembleTraceWindow})
	env.RegisterActivityWithOptions(f.Advance, activity.RegisterOptions{Name: contract.ActivityAdvanceTraceMark})
	env.ExecuteWorkflow(contract.WorkflowAssembleTraces, in)
	var out contract.AssembleOutput
	if env.GetWorkflowError() == nil {
		require.NoError(t, env.GetWorkflowResult(&out))
	}
	return env, out
}

func froms(ws []contract.WindowInput) []time.Duration {
	out := make([]time.Duration, len(ws))
	for i, w := range ws {
		out[i] = w.From.Sub(w0)
	}
	return out
}

func TestAssembleTracesAdvancesAfterEachClosedWindow(t *testing.T) {
	f := &fakeAssembly{
		plan: contract.TracePlan{AssembledUntil: w0, StoredCursor: "4", Now: w0.Add(25 * time.Second)},
		late: []contract.LateOutput{{Next: "9", Late: 2, Traces: 1}},
	}
	env, out := runAssembly(t, f, contract.AssembleInput{Window: 10 * time.Second})
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, []time.Duration{0, 10 * time.Second}, froms(f.windows), "the open window [20s, 30s) waits")
	require.Equal(t, []contract.AdvanceInput{
		{AssembledUntil: w0, StoredCursor: "9"}, // the late spans are seen
		{AssembledUntil: w0.Add(10 * time.Second), StoredCursor: "9"},
		{AssembledUntil: w0.Add(20 * time.Second), StoredCursor: "9"},
	}, f.advances)
	require.Equal(t, contract.AssembleOutput{AssembledUntil: w0.Add(20 * time.Second), Windows: 2, Traces: 3, Late: 2}, out)
}

func TestAssembleTracesReadsLatePagesUntilDone(t *testing.T) {
	f := &fakeAssembly{
		plan: contract.TracePlan{AssembledUntil: w0, StoredCursor: "1", Now: w0.Add(5 * time.Second)},
		late: []contract.LateOutput{{Next: "2", More: true, Late: 1}, {Next: "3", Late: 1}},
	}
	env, out := runAssembly(t, f, contract.AssembleInput{Window: 10 * time.Second})
	require.NoError(t, env.GetWorkflowError())
	require.Empty(t, f.windows)
	require.Equal(t, []contract.AdvanceInput{{AssembledUntil: w0, StoredCursor: "2"}, {AssembledUntil: w0, StoredCursor: "3"}}, f.advances)
	require.Equal(t, 2, out.Late)
}

func TestAssembleTracesSplitsAWindowHoldingTooManySpans(t *testing.T) {
	f := &fakeAssembly{
		plan:    contract.TracePlan{AssembledUntil: w0, Now: w0.Add(15 * time.Second)},
		tooMany: func(in contract.WindowInput) bool { return in.Until.Sub(in.From) > 5*time.Second },
	}
	env, out := runAssembly(t, f, contract.AssembleInput{Window: 10 * time.Second})
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, []time.Duration{0, 0, 5 * time.Second}, froms(f.windows), "tried whole, then two halves")
	require.Equal(t, 5*time.Second, f.windows[1].Until.Sub(f.windows[1].From))
	require.Equal(t, w0.Add(10*time.Second), f.windows[2].Until, "the second half ends on the boundary")
	require.Equal(t, 2, out.Windows)
	require.Equal(t, w0.Add(10*time.Second), f.advances[len(f.advances)-1].AssembledUntil)
}

func TestAssembleTracesKeepsTheWatermarkOfAFailedWindow(t *testing.T) {
	f := &fakeAssembly{
		plan:   contract.TracePlan{AssembledUntil: w0, Now: w0.Add(time.Minute)},
		failAt: w0.Add(20 * time.Second),
	}
	env, _ := runAssembly(t, f, contract.AssembleInput{Window: 10 * time.Second})
	require.Error(t, env.GetWorkflowError())
	last := f.advances[len(f.advances)-1]
	require.Equal(t, w0.Add(20*time.Second), last.AssembledUntil, "written windows only")
}

func TestAssembleTracesContinuesAsNewWhenBehind(t *testing.T) {
	f := &fakeAssembly{plan: contract.TracePlan{AssembledUntil: w0, Now: w0.Add(24 * time.Hour)}}
	env, _ := runAssembly(t, f, contract.AssembleInput{Window: 10 * time.Second, MaxWindows: 3})
	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, env.GetWorkflowError(), &can)
	require.Len(t, f.windows, 3, "bounded steps per run")
	require.Equal(t, w0.Add(15*time.Minute), f.advances[len(f.advances)-1].AssembledUntil, "far behind, windows are 30 times larger")
}

// Catching up, a large window that holds too many spans is split, and the
// run goes on with the configured windows.
func TestAssembleTracesCatchesUpInLargeWindows(t *testing.T) {
	f := &fakeAssembly{
		plan: contract.TracePlan{AssembledUntil: w0, Now: w0.Add(12 * time.Minute)},
		tooMany: func(in contract.WindowInput) bool {
			return in.From.Equal(w0.Add(5*time.Minute)) && in.Until.Sub(in.From) > 10*time.Second
		},
	}
	env, out := runAssembly(t, f, contract.AssembleInput{Window: 10 * time.Second})
	require.NoError(t, env.GetWorkflowError())
	sizes := map[time.Duration]int{}
	for _, w := range f.windows {
		sizes[w.Until.Sub(w.From)]++
	}
	require.Equal(t, 2, sizes[5*time.Minute], "the first 5 min, then the dense one tried whole")
	require.Equal(t, w0.Add(12*time.Minute), out.AssembledUntil)
	require.Equal(t, w0.Add(12*time.Minute), f.advances[len(f.advances)-1].AssembledUntil)
}
