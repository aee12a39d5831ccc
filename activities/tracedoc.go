package activities

import (
	"time"

	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/traceview"
)

// traceDoc assembles the spans of one trace id into its stored document.
// It reports false when a root was linked, by an earlier batch, to a parent
// that is not among spans: the document would be a fragment of the trace.
func traceDoc(spans []span.Span, assembledAt time.Time) (store.Trace, bool) {
	tr := traceview.Assemble(spans)
	for _, r := range tr.Roots {
		if r.Span.Parent != nil && r.Span.Vigil.ParentHow != "" {
			return store.Trace{}, false
		}
	}
	doc := store.Trace{
		ID:          tr.ID,
		Start:       tr.Start.UTC(),
		DurationUS:  tr.Duration.Microseconds(),
		Spans:       tr.Spans,
		Roots:       len(tr.Roots),
		AssembledAt: assembledAt,
	}
	if len(tr.Roots) > 0 {
		r := tr.Roots[0].Span
		doc.Root = store.TraceRoot{SpanID: r.ID, Service: r.Service.Name, Name: r.Span.Name}
	}
	for _, sv := range tr.Services {
		doc.Errors += sv.Errors
		doc.Services = append(doc.Services, store.TraceService{Name: sv.Name, Spans: sv.Spans, Errors: sv.Errors, DurationUS: sv.Duration.Microseconds()})
	}
	var walk func(n *traceview.Node)
	walk = func(n *traceview.Node) {
		doc.SpanIDs = append(doc.SpanIDs, n.Span.ID)
		if n.Critical {
			doc.CriticalPath = append(doc.CriticalPath, n.Span.ID)
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	for _, r := range tr.Roots {
		walk(r)
	}
	return doc, true
}
