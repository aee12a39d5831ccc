package accuracy

import (
	"time"

	"github.com/vigil-dev/vigil/internal/correlate/inprocess"
	"github.com/vigil-dev/vigil/internal/correlate/pipeline"
	"github.com/vigil-dev/vigil/internal/span"
)

// Mode is one way of correlating the same capture.
type Mode struct {
	Name    string
	Options pipeline.Options
}

// Modes are the correlator with traceparent ignored, the two time-only
// baselines, exact mode (traceparent honoured, inference only where the
// traffic carried none) as the ceiling, and the correlator without
// identifying fields, for topologies whose calls carry no ids.
func Modes() []Mode {
	return []Mode{
		{"full (traceparent ignored)", pipeline.Options{IgnoreTraceparent: true}},
		{"fifo baseline", pipeline.Options{IgnoreTraceparent: true, InProcess: inprocess.Options{Method: inprocess.MethodFIFO}}},
		{"delay baseline", pipeline.Options{IgnoreTraceparent: true, InProcess: inprocess.Options{Method: inprocess.MethodDelay}}},
		{"exact (traceparent honoured)", pipeline.Options{}},
		{"full without identifying fields", pipeline.Options{IgnoreTraceparent: true, InProcess: inprocess.Options{NoFields: true}}},
	}
}

// Result is one mode's score.
type Result struct {
	Mode          string `json:"mode"`
	Traces        int    `json:"traces"`
	CorrectTraces int    `json:"correct_traces"`
	// Edges are the truth spans whose parent was captured; CorrectEdges
	// those whose captured span got that parent.
	Edges          int `json:"edges"`
	CorrectEdges   int `json:"correct_edges"`
	TruthSpans     int `json:"truth_spans"`
	UnmatchedTruth int `json:"unmatched_truth"` // truth spans the capture lacks
	CapturedSpans  int `json:"captured_spans"`  // of the truth's processes and time
	UnmatchedSpans int `json:"unmatched_spans"` // captured spans no truth span claims
	// Wrong counts the spans given a wrong parent by what they are
	// ("cart client redis HGETALL"): where the correlator errs.
	Wrong map[string]int `json:"wrong,omitempty"`
}

// TraceAccuracy is the share of traces whose every span is present with
// the right parent.
func (r Result) TraceAccuracy() float64 { return ratio(r.CorrectTraces, r.Traces) }

// EdgeAccuracy is the share of parent links found right.
func (r Result) EdgeAccuracy() float64 { return ratio(r.CorrectEdges, r.Edges) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Evaluate correlates a copy of the captured spans in each mode and
// scores the result against the truth. Only spans of the truth's
// processes and time range take part.
func Evaluate(truth []TruthSpan, captured []span.Span, modes []Mode) []Result {
	spans := relevant(truth, captured)
	m := match(truth, spans)
	out := make([]Result, 0, len(modes))
	for _, md := range modes {
		cp := make([]span.Span, len(spans))
		copy(cp, spans)
		pipeline.Run(cp, md.Options)
		r := score(truth, cp, m)
		r.Mode = md.Name
		out = append(out, r)
	}
	return out
}

// Range is the truth's time range, a second either side: the captured
// spans to read.
func Range(truth []TruthSpan) (from, to time.Time) {
	lo, hi := truth[0].StartUnixNano, truth[0].EndUnixNano
	for _, t := range truth {
		lo, hi = min(lo, t.StartUnixNano), max(hi, t.EndUnixNano)
	}
	return time.Unix(0, lo).Add(-time.Second), time.Unix(0, hi).Add(time.Second)
}

// relevant keeps the spans of the truth's processes within its Range.
func relevant(truth []TruthSpan, spans []span.Span) []span.Span {
	pids := map[int]bool{}
	for _, t := range truth {
		pids[t.PID] = true
	}
	lo, hi := Range(truth)
	var out []span.Span
	for _, s := range spans {
		if pids[s.Process.PID] && !s.Timestamp.Before(lo) && s.Timestamp.Before(hi) {
			out = append(out, s)
		}
	}
	return out
}

// score compares the correlated spans' parents with the truth's.
func score(truth []TruthSpan, spans []span.Span, m map[int]int) Result {
	r := Result{TruthSpans: len(truth), CapturedSpans: len(spans)}
	type tkey struct{ trace, span string }
	truthIdx := make(map[tkey]int, len(truth))
	for i, t := range truth {
		truthIdx[tkey{t.TraceID, t.SpanID}] = i
	}
	spanToTruth := make(map[int]int, len(m))
	for ti, si := range m {
		spanToTruth[si] = ti
	}
	bySpanID := make(map[tkey]int, len(spans))
	for i := range spans {
		bySpanID[tkey{spans[i].Trace.ID, spans[i].Span.ID}] = i
	}
	// predicted is the truth index of the captured parent, -1 for a root,
	// -2 for a parent that no truth span claims.
	predicted := func(si int) int {
		s := &spans[si]
		if s.Parent == nil {
			return -1
		}
		pi, ok := bySpanID[tkey{s.Trace.ID, s.Parent.ID}]
		if !ok {
			return -1 // a parent outside the capture: a root here
		}
		if ti, ok := spanToTruth[pi]; ok {
			return ti
		}
		return -2
	}
	traceOK := map[string]bool{}
	for ti, t := range truth {
		if _, ok := traceOK[t.TraceID]; !ok {
			traceOK[t.TraceID] = true
		}
		want := -1 // root, or a parent the truth does not hold
		if t.ParentSpanID != "" {
			if pi, ok := truthIdx[tkey{t.TraceID, t.ParentSpanID}]; ok {
				want = pi
			}
		}
		si, matched := m[ti]
		if want >= 0 {
			r.Edges++
		}
		if !matched {
			r.UnmatchedTruth++
			traceOK[t.TraceID] = false
			continue
		}
		if _, parentCaptured := m[want]; want >= 0 && !parentCaptured {
			traceOK[t.TraceID] = false
			continue
		}
		if predicted(si) == want {
			if want >= 0 {
				r.CorrectEdges++
			}
			continue
		}
		traceOK[t.TraceID] = false
		if r.Wrong == nil {
			r.Wrong = map[string]int{}
		}
		r.Wrong[t.Service+" "+t.Kind+" "+t.Protocol+" "+t.Operation]++
	}
	r.Traces = len(traceOK)
	for _, ok := range traceOK {
		if ok {
			r.CorrectTraces++
		}
	}
	r.UnmatchedSpans = len(spans) - len(m)
	return r
}
