package exact

import (
	"testing"

	"github.com/vigil-dev/vigil/internal/correlate"
	"github.com/vigil-dev/vigil/internal/span"
)

func TestEdges(t *testing.T) {
	trace := "4bf92f3577b34da6a3ce929d0e0e4736"
	client := span.Span{ID: "doc-c", Trace: span.Trace{ID: trace}, Span: span.Info{ID: "00f067aa0ba902b7", Kind: span.KindClient},
		Vigil: span.Vigil{TraceFromTraffic: true}}
	server := span.Span{ID: "doc-s", Trace: span.Trace{ID: trace}, Parent: &span.Parent{ID: "00f067aa0ba902b7"},
		Span: span.Info{ID: "b7ad6b7169203331", Kind: span.KindServer}, Vigil: span.Vigil{TraceFromTraffic: true}}
	other := span.Span{ID: "doc-o", Trace: span.Trace{ID: "0af7651916cd43dd8448eb211c80319c"}, Parent: &span.Parent{ID: "00f067aa0ba902b7"},
		Span: span.Info{ID: "c000000000000001", Kind: span.KindServer}, Vigil: span.Vigil{TraceFromTraffic: true}}
	got := Edges([]span.Span{client, server, other})
	want := correlate.Edge{Parent: "doc-c", Child: "doc-s", How: correlate.HowTraceparent, Confidence: 1}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("edges %+v, want only %+v (a parent id in another trace is no parent)", got, want)
	}
}
