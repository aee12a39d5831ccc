// Package traceview assembles the spans of one trace into a tree: its
// root, each span's children, the critical path (the chain of spans that
// bounds the trace's duration) and a per-service summary, and renders it
// as a text waterfall.
package traceview

import (
	"sort"
	"time"

	"github.com/vigil-dev/vigil/internal/span"
)

// Node is a span in the tree.
type Node struct {
	Span     *span.Span
	Children []*Node
	Depth    int
	Critical bool // on the critical path
}

// Service sums one service's spans in the trace.
type Service struct {
	Name     string
	Spans    int
	Errors   int
	Duration time.Duration // summed span durations
}

// Trace is one assembled trace.
type Trace struct {
	ID       string
	Roots    []*Node // more than one when a parent was not captured
	Start    time.Time
	Duration time.Duration
	Spans    int
	Services []Service // by summed duration, descending
}

// Assemble builds the trace of spans (all of one trace id). A span whose
// parent is not among them is a root; roots and children are in start order.
func Assemble(spans []span.Span) Trace {
	var t Trace
	if len(spans) == 0 {
		return t
	}
	t.ID, t.Spans = spans[0].Trace.ID, len(spans)
	nodes := make([]*Node, len(spans))
	bySpanID := make(map[string]*Node, len(spans))
	for i := range spans {
		nodes[i] = &Node{Span: &spans[i]}
		bySpanID[spans[i].Span.ID] = nodes[i]
	}
	var end time.Time
	for i, n := range nodes {
		s := n.Span
		if i == 0 || s.Timestamp.Before(t.Start) {
			t.Start = s.Timestamp
		}
		if s.End().After(end) {
			end = s.End()
		}
		if s.Parent != nil {
			if p := bySpanID[s.Parent.ID]; p != nil && p != n {
				p.Children = append(p.Children, n)
				continue
			}
		}
		t.Roots = append(t.Roots, n)
	}
	t.Duration = end.Sub(t.Start)
	byStart := func(ns []*Node) {
		sort.SliceStable(ns, func(a, b int) bool { return ns[a].Span.Timestamp.Before(ns[b].Span.Timestamp) })
	}
	byStart(t.Roots)
	var walk func(n *Node, depth int)
	walk = func(n *Node, depth int) {
		n.Depth = depth
		byStart(n.Children)
		for _, c := range n.Children {
			walk(c, depth+1)
		}
	}
	for _, r := range t.Roots {
		walk(r, 0)
	}
	if len(t.Roots) > 0 {
		markCritical(longestRoot(t.Roots))
	}
	t.Services = summarise(spans)
	return t
}

func longestRoot(roots []*Node) *Node {
	best := roots[0]
	for _, r := range roots[1:] {
		if r.Span.End().After(best.Span.End()) {
			best = r
		}
	}
	return best
}

// markCritical follows, from n, the child that finishes last: the work the
// parent waited for at its end.
func markCritical(n *Node) {
	for n != nil {
		n.Critical = true
		var last *Node
		for _, c := range n.Children {
			if last == nil || c.Span.End().After(last.Span.End()) {
				last = c
			}
		}
		n = last
	}
}

func summarise(spans []span.Span) []Service {
	by := map[string]*Service{}
	for i := range spans {
		s := &spans[i]
		sv := by[s.Service.Name]
		if sv == nil {
			sv = &Service{Name: s.Service.Name}
			by[s.Service.Name] = sv
		}
		sv.Spans++
		sv.Duration += time.Duration(s.Span.Duration.US) * time.Microsecond
		if s.Event.Outcome == span.OutcomeFailure {
			sv.Errors++
		}
	}
	out := make([]Service, 0, len(by))
	for _, sv := range by {
		out = append(out, *sv)
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Duration != out[b].Duration {
			return out[a].Duration > out[b].Duration
		}
		return out[a].Name < out[b].Name
	})
	return out
}
