package workflows

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/notify"
	"github.com/vigil-dev/vigil/internal/store"
)

// sent records what the notification and store activities were asked.
type sent struct {
	mu     sync.Mutex
	events []contract.NotifyInput
	states []store.Incident
}

func (s *sent) notify(_ context.Context, in contract.NotifyInput) (notify.Ref, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, in)
	return notify.Ref{Channel: "C1", TS: "1700000000.000100"}, nil
}

func (s *sent) store(_ context.Context, in store.Incident) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.states = append(s.states, in)
	return nil
}

// kinds lists the notified kinds of one channel, in order.
func (s *sent) kinds(channel string) []notify.Kind {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []notify.Kind
	for _, e := range s.events {
		if e.Channel == channel {
			out = append(out, e.Event.Kind)
		}
	}
	return out
}

func (s *sent) lastState() store.Incident {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.states[len(s.states)-1]
}

func newIncidentEnv(t *testing.T) (*testsuite.TestWorkflowEnvironment, *sent) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	rec := &sent{}
	env.RegisterWorkflowWithOptions(Incident, workflow.RegisterOptions{Name: contract.WorkflowIncident})
	env.RegisterActivityWithOptions(rec.notify, activity.RegisterOptions{Name: contract.ActivitySendNotification})
	env.RegisterActivityWithOptions(rec.store, activity.RegisterOptions{Name: contract.ActivityStoreIncident})
	return env, rec
}

var incidentIn = contract.IncidentInput{
	Rule: "checkout-down", Key: "checkout-down-eu", Labels: map[string]string{"monitor": "checkout", "location": "eu"},
	Severity: "critical", Channels: []string{"oncall", "hooks"},
	RemindEvery: 30 * time.Minute, ResolveAfter: time.Minute, ReopenWindow: 10 * time.Minute,
}

func firingSig(summary string) contract.AlertSignal {
	return contract.AlertSignal{Firing: true, Value: 3, Summary: summary,
		Evidence: map[string]string{"monitor": "checkout", "location": "eu", "step": "pay", "error": "503", "result_id": "r1"}}
}

// at schedules f d after the start of the test workflow.
func at(env *testsuite.TestWorkflowEnvironment, d time.Duration, f func()) {
	env.RegisterDelayedCallback(f, d)
}

func TestIncidentFiresRemindsAcknowledgesAndResolves(t *testing.T) {
	env, rec := newIncidentEnv(t)
	at(env, 0, func() { env.SignalWorkflow(contract.SignalAlert, firingSig("checkout is down in eu")) })
	// Evaluations keep firing; two reminders come due (30 and 60 min).
	for m := 1; m < 70; m++ {
		at(env, time.Duration(m)*time.Minute, func() { env.SignalWorkflow(contract.SignalAlert, firingSig("checkout is down in eu")) })
	}
	at(env, 70*time.Minute, func() { env.SignalWorkflow(contract.SignalAck, contract.ActionSignal{By: "ann"}) })
	for m := 71; m < 130; m++ { // acknowledged: no more reminders
		at(env, time.Duration(m)*time.Minute, func() { env.SignalWorkflow(contract.SignalAlert, firingSig("checkout is down in eu")) })
	}
	at(env, 130*time.Minute, func() { env.SignalWorkflow(contract.SignalAlert, contract.AlertSignal{Firing: false}) })
	env.ExecuteWorkflow(contract.WorkflowIncident, incidentIn)

	require.NoError(t, env.GetWorkflowError())
	want := []notify.Kind{notify.KindFiring, notify.KindReminder, notify.KindReminder, notify.KindAcknowledged, notify.KindResolved}
	require.Equal(t, want, rec.kinds("oncall"))
	require.Equal(t, want, rec.kinds("hooks"))
	last := rec.lastState()
	require.Equal(t, store.IncidentResolved, last.State)
	require.Equal(t, "ann", last.AckedBy)
	require.Empty(t, last.ResolvedBy, "resolved automatically")
	require.Equal(t, 10, last.Notifications)
	// The updates refer to the first message.
	for _, e := range rec.events[2:] {
		require.Equal(t, "1700000000.000100", e.Event.Ref.TS)
	}
}

// TestIncidentFlappingSendsNoStorm alternates firing and clear evaluations
// faster than ResolveAfter: one message, never resolved.
func TestIncidentFlappingSendsNoStorm(t *testing.T) {
	env, rec := newIncidentEnv(t)
	in := incidentIn
	in.RemindEvery = 0
	at(env, 0, func() { env.SignalWorkflow(contract.SignalAlert, firingSig("flaky")) })
	for i := 1; i < 40; i++ {
		sig := contract.AlertSignal{Firing: i%2 == 0, Summary: "flaky"}
		at(env, time.Duration(i)*20*time.Second, func() { env.SignalWorkflow(contract.SignalAlert, sig) })
	}
	at(env, 810*time.Second, func() { env.SignalWorkflow(contract.SignalResolve, contract.ActionSignal{By: "bob"}) })
	env.ExecuteWorkflow(contract.WorkflowIncident, in)
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, []notify.Kind{notify.KindFiring, notify.KindResolved}, rec.kinds("oncall"))
	require.Equal(t, "bob", rec.lastState().ResolvedBy)
}

// TestIncidentReopensWithinTheWindow: a group firing again soon after it
// resolved reopens the same incident (same id, same message).
func TestIncidentReopensWithinTheWindow(t *testing.T) {
	env, rec := newIncidentEnv(t)
	in := incidentIn
	in.RemindEvery = 0
	at(env, 0, func() { env.SignalWorkflow(contract.SignalAlert, firingSig("down")) })
	at(env, time.Minute, func() { env.SignalWorkflow(contract.SignalAlert, contract.AlertSignal{Firing: false}) })
	// resolved at 2 min; fires again at 5 min, within the 10 min window
	at(env, 5*time.Minute, func() { env.SignalWorkflow(contract.SignalAlert, firingSig("down again")) })
	at(env, 6*time.Minute, func() { env.SignalWorkflow(contract.SignalAlert, contract.AlertSignal{Firing: false}) })
	env.ExecuteWorkflow(contract.WorkflowIncident, in)
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, []notify.Kind{notify.KindFiring, notify.KindResolved, notify.KindFiring, notify.KindResolved}, rec.kinds("oncall"))
	ids := map[string]bool{}
	for _, s := range rec.states {
		ids[s.ID] = true
	}
	require.Len(t, ids, 1, "one incident, reopened")
	reopen := rec.events[4].Event // oncall+hooks firing, oncall+hooks resolved, then the reopen
	require.Equal(t, notify.KindFiring, reopen.Kind)
	require.Equal(t, "1700000000.000100", reopen.Ref.TS, "the reopen updates the first message")
	require.Equal(t, 1, reopen.Seq)
}

// TestIncidentIgnoresActionsForAnotherOccurrence: an ack aimed at an older
// incident of the same group does nothing.
func TestIncidentIgnoresActionsForAnotherOccurrence(t *testing.T) {
	env, rec := newIncidentEnv(t)
	in := incidentIn
	in.RemindEvery = 0
	at(env, 0, func() { env.SignalWorkflow(contract.SignalAlert, firingSig("down")) })
	at(env, time.Minute, func() {
		env.SignalWorkflow(contract.SignalAck, contract.ActionSignal{By: "ann", IncidentID: "vigil-incident/old@1"})
	})
	at(env, 2*time.Minute, func() { env.SignalWorkflow(contract.SignalResolve, contract.ActionSignal{By: "bob"}) })
	env.ExecuteWorkflow(contract.WorkflowIncident, in)
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, []notify.Kind{notify.KindFiring, notify.KindResolved}, rec.kinds("oncall"))
	require.Empty(t, rec.lastState().AckedBy)
}
