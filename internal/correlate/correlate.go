// Package correlate links spans into traces. Each layer is its own package
// and returns edges; Apply writes them into the spans:
//   - exact: the W3C traceparent the traffic carried;
//   - network: a client span and the server span of the same connection
//     (same 4-tuple) whose time lies within the client's, across processes
//     and hosts.
//
// The in-process layer (which incoming request caused which outgoing call
// when nothing in the bytes says so) is not written yet.
package correlate

import "github.com/vigil-dev/vigil/internal/span"

// How an edge was found.
const (
	HowTraceparent = "traceparent"
	HowNetwork     = "4-tuple"
)

// Edge says that Child (a span's document id) was caused by Parent.
type Edge struct {
	Parent, Child string
	How           string
	Confidence    float64 // 1 when nothing else could match
}

// Apply links each edge's child into its parent's trace: trace id, parent
// id, and how and how surely the link was found. An edge whose spans are
// not both in spans is ignored; a child keeps the first edge given for it.
func Apply(spans []span.Span, edges []Edge) int {
	byID := make(map[string]int, len(spans))
	for i := range spans {
		byID[spans[i].ID] = i
	}
	linked := map[string]bool{}
	n := 0
	for _, e := range edges {
		pi, okp := byID[e.Parent]
		ci, okc := byID[e.Child]
		if !okp || !okc || linked[e.Child] {
			continue
		}
		linked[e.Child] = true
		p, c := &spans[pi], &spans[ci]
		c.Trace.ID = p.Trace.ID
		c.Parent = &span.Parent{ID: p.Span.ID}
		c.Vigil.ParentHow, c.Vigil.ParentConfidence = e.How, e.Confidence
		n++
	}
	return n
}
