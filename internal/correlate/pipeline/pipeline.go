// Package pipeline runs the correlation layers over a batch of spans, in
// order of certainty (exact, network, in-process), and links the spans
// into traces in place.
package pipeline

import (
	"time"

	"github.com/vigil-dev/vigil/internal/correlate"
	"github.com/vigil-dev/vigil/internal/correlate/exact"
	"github.com/vigil-dev/vigil/internal/correlate/inprocess"
	"github.com/vigil-dev/vigil/internal/correlate/network"
	"github.com/vigil-dev/vigil/internal/span"
)

// Options choose the layers.
type Options struct {
	// IgnoreTraceparent drops the trace context the traffic carried before
	// correlating: what the inference alone achieves (accuracy scoring).
	IgnoreTraceparent bool
	// Skew is how far clocks of different hosts may disagree.
	Skew      time.Duration
	InProcess inprocess.Options
}

// Stats count the edges each layer found.
type Stats struct {
	Exact, Network, InProcess int
	Linked                    int // spans given a parent
}

// Run links spans in place: parent ids and trace ids. Spans of one trace
// share the trace id of its root afterwards.
func Run(spans []span.Span, o Options) Stats {
	if o.IgnoreTraceparent {
		forgetTraceContext(spans)
	}
	var st Stats
	ex := exact.Edges(spans)
	nw := network.Edges(spans, network.Options{Skew: o.Skew})
	ip := inprocess.Edges(spans, o.InProcess)
	st.Exact, st.Network, st.InProcess = len(ex), len(nw), len(ip)
	edges := make([]correlate.Edge, 0, len(ex)+len(nw)+len(ip))
	edges = append(append(append(edges, ex...), nw...), ip...)
	st.Linked = correlate.Apply(spans, edges)
	return st
}

// forgetTraceContext makes every span its own trace, as if no traceparent
// had been seen.
func forgetTraceContext(spans []span.Span) {
	for i := range spans {
		s := &spans[i]
		s.Parent = nil
		s.Trace.ID = span.NewID("trace", s.ID) + span.NewID("trace2", s.ID)
		s.Vigil.TraceFromTraffic = false
		s.Vigil.ParentHow, s.Vigil.ParentConfidence = "", 0
	}
}
