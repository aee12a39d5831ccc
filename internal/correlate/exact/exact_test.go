package exact

import (
	"testing"
	"time"

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

func TestEdgesPassedOnInProcess(t *testing.T) {
	trace := "4bf92f3577b34da6a3ce929d0e0e4736"
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	mk := func(id, kind string, pid int, start, dur time.Duration, trace string) span.Span {
		return span.Span{ID: id, Timestamp: t0.Add(start), Trace: span.Trace{ID: trace},
			Span:    span.Info{ID: "sid-" + id, Kind: kind, Duration: span.Micros{US: dur.Microseconds()}},
			Process: span.Process{PID: pid}, Vigil: span.Vigil{TraceFromTraffic: true}}
	}
	ms := time.Millisecond
	req := mk("req", span.KindServer, 7, 0, 10*ms, trace)
	req.Parent = &span.Parent{ID: "1111111111111111"} // the caller was not captured
	spans := []span.Span{req,
		mk("call", span.KindClient, 7, 2*ms, 3*ms, trace),
		mk("elsewhere", span.KindClient, 8, 2*ms, 3*ms, trace),                          // another process
		mk("later", span.KindClient, 7, 12*ms, 3*ms, trace),                             // outside the request
		mk("other", span.KindClient, 7, 2*ms, 3*ms, "0af7651916cd43dd8448eb211c80319c"), // another trace
	}
	got := Edges(spans)
	want := correlate.Edge{Parent: "req", Child: "call", How: correlate.HowTraceparent, Confidence: 1}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("edges %+v, want only %+v", got, want)
	}
}
