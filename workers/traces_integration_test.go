package workers_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/store/storetest"
	"github.com/vigil-dev/vigil/workers"
)

// traceInput: 1 s windows so the test needs no long wait.
var traceInput = contract.AssembleInput{Window: time.Second, Grace: 10 * time.Second, Margin: 2 * time.Second}

// assemble runs AssembleTraces once, as its schedule would.
func (e *env) assemble() (contract.AssembleOutput, client.WorkflowRun) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := e.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: contract.TaskQueueAssembly},
		contract.WorkflowAssembleTraces, traceInput)
	if err != nil {
		e.t.Fatalf("starting AssembleTraces: %v", err)
	}
	var out contract.AssembleOutput
	if err := run.Get(ctx, &out); err != nil {
		e.t.Fatalf("AssembleTraces failed: %v", err)
	}
	return out, run
}

func (e *env) traces() map[string]store.Trace {
	e.t.Helper()
	list, err := e.store.ListTraces(context.Background(), store.TraceQuery{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]store.Trace{}
	for _, tr := range list {
		out[tr.ID] = tr
	}
	return out
}

// TestAssembleTracesOnTheRealServer: spans stored by the agent become one
// trace per call, once; the watermark advances; a client span stored
// after its window was assembled turns the lone server span's trace into
// its own; the schedule runs the same workflow.
func TestAssembleTracesOnTheRealServer(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	now := time.Now()
	var spans []span.Span
	for i, id := range []string{"a", "b"} {
		c, s := storetest.NewCall(id, "frontend", "checkout", i, now.Add(-5*time.Second+time.Duration(i)*time.Second), 50*time.Millisecond)
		spans = append(spans, c, s)
	}
	lateClient, lonelyServer := storetest.NewCall("late", "frontend", "payments", 9, now.Add(-2500*time.Millisecond), 80*time.Millisecond)
	spans = append(spans, lonelyServer)
	if err := e.store.WriteSpans(ctx, spans); err != nil {
		t.Fatal(err)
	}

	out, run := e.assemble()
	got := e.traces()
	if len(got) != 3 || got[spans[0].Trace.ID].Spans != 2 || got[spans[2].Trace.ID].Spans != 2 || got[lonelyServer.Trace.ID].Spans != 1 {
		t.Fatalf("first run (%+v): want two 2-span traces and the lone server span's, got %+v", out, got)
	}
	mark, err := e.store.GetTraceWatermark(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if mark.AssembledUntil.Before(now.Add(-2*time.Second)) || mark.AssembledUntil.After(time.Now()) {
		t.Errorf("watermark %s: want within the last second or two before %s", mark.AssembledUntil, now)
	}
	writeAssembleHistory(t, historyJSON(t, e, run.GetID(), run.GetRunID()))

	// A retried run (nothing new) rewrites the same documents, no more.
	e.assemble()
	if again := e.traces(); len(again) != 3 {
		t.Fatalf("a second run duplicated traces: %+v", again)
	}

	if err := e.store.WriteSpans(ctx, []span.Span{lateClient}); err != nil {
		t.Fatal(err)
	}
	if err := workers.EnsureAssembleSchedule(ctx, e.client, traceInput, time.Hour); err != nil {
		t.Fatal(err)
	}
	h := e.client.ScheduleClient().GetHandle(ctx, contract.AssembleScheduleID)
	if err := h.Trigger(ctx, client.ScheduleTriggerOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the late client span's trace to be re-assembled by the schedule's run", func() bool {
		got := e.traces()
		tr, ok := got[lateClient.Trace.ID]
		_, stale := got[lonelyServer.Trace.ID]
		return ok && tr.Spans == 2 && tr.Root.SpanID == lateClient.ID && !stale && len(got) == 3
	})
	server, err := e.store.GetSpan(ctx, lonelyServer.ID)
	if err != nil {
		t.Fatal(err)
	}
	if server.Trace.ID != lateClient.Trace.ID || server.Parent == nil || server.Parent.ID != lateClient.Span.ID {
		t.Errorf("the late link is not written back: %+v %+v", server.Trace, server.Parent)
	}
	// The run advances the watermark after the late spans' windows are written.
	eventually(t, 30*time.Second, "the stored cursor to move past the late span", func() bool {
		later, err := e.store.GetTraceWatermark(ctx)
		return err == nil && later.StoredCursor != mark.StoredCursor && !later.AssembledUntil.Before(mark.AssembledUntil)
	})
	desc, err := h.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if act, ok := desc.Schedule.Action.(*client.ScheduleWorkflowAction); !ok || act.TaskQueue != contract.TaskQueueAssembly {
		t.Errorf("schedule action %+v: want AssembleTraces on %s", desc.Schedule.Action, contract.TaskQueueAssembly)
	}
}

// writeAssembleHistory refreshes the history the replay test of package
// workflows checks, when VIGIL_UPDATE_HISTORY=1.
func writeAssembleHistory(t *testing.T, history string) {
	if os.Getenv("VIGIL_UPDATE_HISTORY") != "1" {
		return
	}
	path := filepath.Join("..", "workflows", "testdata", "assemble_traces_history.json")
	if err := os.WriteFile(path, []byte(history), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}
