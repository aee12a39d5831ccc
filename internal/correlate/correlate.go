// Package correlate links spans into traces. Each layer is its own package
// and returns edges; Apply writes them into the spans:
//   - exact: the W3C traceparent the traffic carried;
//   - network: a client span and the server span of the same connection
//     (same 4-tuple) whose time lies within the client's, across processes
//     and hosts;
//   - inprocess: which incoming request caused which outgoing call inside
//     one process, inferred when nothing in the bytes says so.
//
// The pipeline package runs them in that order.
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

// Apply links each edge's child to its parent: parent id, and how and how
// surely the link was found; then every span takes the trace id of its
// root, so a chain found by different layers is one trace. An edge whose
// spans are not both in spans is ignored, as is one that would close a
// cycle; a child keeps the first edge given for it.
func Apply(spans []span.Span, edges []Edge) int {
	byID := make(map[string]int, len(spans))
	for i := range spans {
		byID[spans[i].ID] = i
	}
	parent := make([]int, len(spans))
	for i := range parent {
		parent[i] = -1
	}
	n := 0
	for _, e := range edges {
		pi, okp := byID[e.Parent]
		ci, okc := byID[e.Child]
		if !okp || !okc || parent[ci] >= 0 || ancestor(parent, pi, ci) {
			continue
		}
		parent[ci] = pi
		p, c := &spans[pi], &spans[ci]
		c.Parent = &span.Parent{ID: p.Span.ID}
		c.Vigil.ParentHow, c.Vigil.ParentConfidence = e.How, e.Confidence
		n++
	}
	for i := range spans {
		r := i
		for parent[r] >= 0 {
			r = parent[r]
		}
		spans[i].Trace.ID = spans[r].Trace.ID
	}
	return n
}

// ancestor reports whether a is i or one of i's ancestors.
func ancestor(parent []int, i, a int) bool {
	for ; i >= 0; i = parent[i] {
		if i == a {
			return true
		}
	}
	return false
}
