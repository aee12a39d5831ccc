// Package exact links spans by the W3C trace context their traffic
// carried: a span whose parent.id names another span's id in the same
// trace is its child, with certainty.
package exact

import (
	"github.com/vigil-dev/vigil/internal/correlate"
	"github.com/vigil-dev/vigil/internal/span"
)

// Edges returns an edge for every span whose traffic named a parent that
// is among spans.
func Edges(spans []span.Span) []correlate.Edge {
	type key struct{ trace, span string }
	byID := make(map[key]string, len(spans))
	for i := range spans {
		byID[key{spans[i].Trace.ID, spans[i].Span.ID}] = spans[i].ID
	}
	var out []correlate.Edge
	for i := range spans {
		s := &spans[i]
		if s.Parent == nil || !s.Vigil.TraceFromTraffic {
			continue
		}
		if parent, ok := byID[key{s.Trace.ID, s.Parent.ID}]; ok && parent != s.ID {
			out = append(out, correlate.Edge{Parent: parent, Child: s.ID, How: correlate.HowTraceparent, Confidence: 1})
		}
	}
	return out
}
