package alert

import (
	"slices"
	"testing"

	"github.com/vigil-dev/vigil/internal/result"
)

// TestEvidenceTraces: the evidence names the trace of the step the alert is
// about first, then the run's other traces; a result from before
// vigil.traces gives its trace.id.
func TestEvidenceTraces(t *testing.T) {
	step := func(i int, trace string) result.Step {
		s := result.Step{Synthetics: result.StepSynthetics{Step: result.StepInfo{Index: i, Name: "s", Status: result.StatusUp}}}
		if trace != "" {
			s.Details = map[string]any{"trace_id": trace}
		}
		return s
	}
	for _, tc := range []struct {
		name      string
		r         result.Result
		step      int
		wantTrace string
		wantIDs   []string
	}{
		{"the failing step's trace first", result.Result{
			Trace: &result.Trace{ID: "a"}, Steps: []result.Step{step(1, "a"), step(2, "b")},
			Vigil: result.Vigil{Traces: []result.RunTrace{{ID: "a", Step: 1}, {ID: "b", Step: 2}}}}, 1, "b", []string{"b", "a"}},
		{"a step without a trace", result.Result{
			Trace: &result.Trace{ID: "a"}, Steps: []result.Step{step(1, "a"), step(2, "")},
			Vigil: result.Vigil{Traces: []result.RunTrace{{ID: "a", Step: 1}}}}, 1, "a", []string{"a"}},
		{"legacy trace.id", result.Result{Trace: &result.Trace{ID: "a"}, Steps: []result.Step{step(1, "")}}, 0, "a", []string{"a"}},
		{"no trace", result.Result{Steps: []result.Step{step(1, "")}}, 0, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := evidence(&tc.r, tc.step)
			if e.TraceID != tc.wantTrace || !slices.Equal(e.TraceIDs, tc.wantIDs) {
				t.Errorf("trace %q, traces %q; want %q, %q", e.TraceID, e.TraceIDs, tc.wantTrace, tc.wantIDs)
			}
		})
	}
}
