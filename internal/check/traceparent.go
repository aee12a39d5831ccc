package check

import (
	"context"
	"net/http"
	"regexp"
	"sync/atomic"

	"github.com/vigil-dev/vigil/internal/browser"
	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
)

// stepTrace is the W3C trace of one http step: its request and the
// redirect hops after it each carry a traceparent of it with a fresh span
// id, so the backend spans they cause join it.
type stepTrace struct {
	id       string
	requests atomic.Int64
}

type traceKey struct{}

var traceparentRE = regexp.MustCompile(`^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$`)

// propagates reports whether m's requests carry a traceparent.
func propagates(m monitor.Monitor) bool {
	return m.Traceparent == nil || !m.Traceparent.Off
}

// withTrace gives req a traceparent of a new trace, unless the monitor
// turned propagation off. A traceparent the monitor set itself wins (set
// by buildRequest after this); its trace is then the step's.
func (rn *run) withTrace(req *http.Request) *http.Request {
	if !rn.propagate {
		return req
	}
	t := &stepTrace{id: newTraceID()}
	req.Header.Set("Traceparent", browser.Traceparent(t.id))
	return req.WithContext(context.WithValue(req.Context(), traceKey{}, t))
}

// sentTrace records the trace the step's request carried, after the
// monitor's own headers were applied.
func sentTrace(req *http.Request) *stepTrace {
	t, _ := req.Context().Value(traceKey{}).(*stepTrace)
	if t == nil {
		return nil
	}
	m := traceparentRE.FindStringSubmatch(req.Header.Get("Traceparent"))
	if m == nil {
		return nil // the monitor's own header is no trace: nothing joins one
	}
	t.id = m[1]
	t.requests.Store(1)
	return t
}

// refreshTraceparent gives a redirect hop of our trace a fresh span id:
// http.Client copies the first request's headers to every hop.
func refreshTraceparent(req *http.Request) {
	t, _ := req.Context().Value(traceKey{}).(*stepTrace)
	if t == nil {
		return
	}
	if m := traceparentRE.FindStringSubmatch(req.Header.Get("Traceparent")); m != nil && m[1] == t.id {
		req.Header.Set("Traceparent", browser.Traceparent(t.id))
		t.requests.Add(1)
	}
}

// recordTrace adds the step's trace to the run's and names it in the
// step's details (where alert evidence looks for a step's trace).
func (rn *run) recordTrace(s *stepRun, t *stepTrace) {
	if t == nil {
		return
	}
	info := s.step.Synthetics.Step
	rn.traces = append(rn.traces, result.RunTrace{ID: t.id, Step: info.Index, StepName: info.Name, Requests: int(t.requests.Load())})
	s.detail("trace_id", t.id)
}

// browserTraces turns a journey's traces into the result's, by step.
func browserTraces(steps []result.Step, res *browser.Result) []result.RunTrace {
	var out []result.RunTrace
	for _, t := range res.Traces {
		rt := result.RunTrace{ID: t.TraceID, Step: t.Step + 1, Requests: t.Requests}
		for i := range steps {
			if steps[i].Synthetics.Step.Index == rt.Step {
				rt.StepName = steps[i].Synthetics.Step.Name
				if steps[i].Details == nil {
					steps[i].Details = map[string]any{}
				}
				steps[i].Details["trace_id"] = t.TraceID
			}
		}
		out = append(out, rt)
	}
	return out
}
