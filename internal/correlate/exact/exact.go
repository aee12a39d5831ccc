// Package exact links spans by the W3C trace context their traffic
// carried, with certainty:
//   - a span whose parent.id names another span's id in the same trace is
//     its child (a server span and the client span that called it);
//   - a client span that carried a trace id is the child of the request of
//     the same process that carried the same trace id and lies around it:
//     the application passed the context on from its request to its call.
package exact

import (
	"github.com/vigil-dev/vigil/internal/correlate"
	"github.com/vigil-dev/vigil/internal/span"
)

// Edges returns an edge for every span whose traffic named a parent that
// is among spans, and for every call that passed on its request's trace.
func Edges(spans []span.Span) []correlate.Edge {
	type key struct{ trace, span string }
	byID := make(map[key]string, len(spans))
	type procTrace struct {
		node, trace string
		pid         int
	}
	requests := map[procTrace][]*span.Span{}
	for i := range spans {
		s := &spans[i]
		byID[key{s.Trace.ID, s.Span.ID}] = s.ID
		if s.Span.Kind == span.KindServer && s.Vigil.TraceFromTraffic && s.Process.PID != 0 {
			k := procTrace{s.Service.Node.Name, s.Trace.ID, s.Process.PID}
			requests[k] = append(requests[k], s)
		}
	}
	var out []correlate.Edge
	for i := range spans {
		s := &spans[i]
		if !s.Vigil.TraceFromTraffic {
			continue
		}
		if s.Parent != nil {
			if parent, ok := byID[key{s.Trace.ID, s.Parent.ID}]; ok && parent != s.ID {
				out = append(out, correlate.Edge{Parent: parent, Child: s.ID, How: correlate.HowTraceparent, Confidence: 1})
			}
			continue
		}
		if s.Span.Kind != span.KindClient {
			continue
		}
		if r := innermost(requests[procTrace{s.Service.Node.Name, s.Trace.ID, s.Process.PID}], s); r != nil {
			out = append(out, correlate.Edge{Parent: r.ID, Child: s.ID, How: correlate.HowTraceparent, Confidence: 1})
		}
	}
	return out
}

// innermost is the latest-starting request that holds call c: a trace may
// pass through one process twice, nested.
func innermost(reqs []*span.Span, c *span.Span) *span.Span {
	var best *span.Span
	for _, r := range reqs {
		if r.Timestamp.After(c.Timestamp) || r.End().Before(c.End()) {
			continue
		}
		if best == nil || r.Timestamp.After(best.Timestamp) {
			best = r
		}
	}
	return best
}
