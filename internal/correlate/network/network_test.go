package network

import (
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/correlate"
	"github.com/vigil-dev/vigil/internal/span"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func sp(id, kind string, src, dst int, start, dur time.Duration) span.Span {
	s := span.Span{ID: id, Timestamp: t0.Add(start), Trace: span.Trace{ID: "trace-" + id},
		Span:        span.Info{ID: "sid-" + id, Kind: kind, Duration: span.Micros{US: dur.Microseconds()}},
		Source:      span.Endpoint{IP: "10.0.0.1", Port: src},
		Destination: span.Endpoint{IP: "10.0.0.2", Port: dst}}
	return s
}

func TestEdges(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name  string
		spans []span.Span
		skew  time.Duration
		want  []correlate.Edge
	}{
		{"one exchange", []span.Span{sp("c1", span.KindClient, 5000, 80, 0, 10*ms), sp("s1", span.KindServer, 5000, 80, 1*ms, 8*ms)}, 0,
			[]correlate.Edge{{Parent: "c1", Child: "s1", How: correlate.HowNetwork, Confidence: 1}}},
		{"keep-alive: each server span to the client span around it", []span.Span{
			sp("c1", span.KindClient, 5000, 80, 0, 10*ms), sp("c2", span.KindClient, 5000, 80, 20*ms, 10*ms),
			sp("s2", span.KindServer, 5000, 80, 21*ms, 8*ms), sp("s1", span.KindServer, 5000, 80, 1*ms, 8*ms)}, 0,
			[]correlate.Edge{{Parent: "c1", Child: "s1", How: correlate.HowNetwork, Confidence: 1}, {Parent: "c2", Child: "s2", How: correlate.HowNetwork, Confidence: 1}}},
		{"another connection is no match", []span.Span{sp("c1", span.KindClient, 5001, 80, 0, 10*ms), sp("s1", span.KindServer, 5000, 80, 1*ms, 8*ms)}, 0, nil},
		{"outside the client's time", []span.Span{sp("c1", span.KindClient, 5000, 80, 0, 10*ms), sp("s1", span.KindServer, 5000, 80, 12*ms, 8*ms)}, 0, nil},
		{"a server read returning just before the client's write", []span.Span{sp("c1", span.KindClient, 5000, 80, 100*time.Microsecond, 10*ms), sp("s1", span.KindServer, 5000, 80, 60*time.Microsecond, 8*ms)}, 0,
			[]correlate.Edge{{Parent: "c1", Child: "s1", How: correlate.HowNetwork, Confidence: 1}}},
		{"clock skew across hosts", []span.Span{sp("c1", span.KindClient, 5000, 80, 0, 10*ms), sp("s1", span.KindServer, 5000, 80, 12*ms, 8*ms)}, 10 * ms,
			[]correlate.Edge{{Parent: "c1", Child: "s1", How: correlate.HowNetwork, Confidence: 1}}},
		{"an end lost an exchange: two equally close candidates halve the confidence", []span.Span{
			sp("c1", span.KindClient, 5000, 80, 0, 30*ms), sp("c2", span.KindClient, 5000, 80, 1*ms, 30*ms),
			sp("s1", span.KindServer, 5000, 80, 2*ms, 5*ms)}, 0,
			[]correlate.Edge{{Parent: "c1", Child: "s1", How: correlate.HowNetwork, Confidence: 0.5}}},
		{"pipelined, both ends complete: matched in order", []span.Span{
			sp("c1", span.KindClient, 5000, 80, 0, 30*ms), sp("c2", span.KindClient, 5000, 80, 1*ms, 30*ms),
			sp("s1", span.KindServer, 5000, 80, 2*ms, 5*ms), sp("s2", span.KindServer, 5000, 80, 8*ms, 5*ms)}, 0,
			[]correlate.Edge{{Parent: "c1", Child: "s1", How: correlate.HowNetwork, Confidence: 1}, {Parent: "c2", Child: "s2", How: correlate.HowNetwork, Confidence: 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Edges(tc.spans, Options{Skew: tc.skew})
			if len(got) != len(tc.want) {
				t.Fatalf("edges %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("edge %d %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestApplyJoinsTheClientsTrace(t *testing.T) {
	spans := []span.Span{sp("c1", span.KindClient, 5000, 80, 0, 10*time.Millisecond), sp("s1", span.KindServer, 5000, 80, time.Millisecond, 8*time.Millisecond)}
	if n := correlate.Apply(spans, Edges(spans, Options{})); n != 1 {
		t.Fatalf("applied %d edges, want 1", n)
	}
	s := spans[1]
	if s.Trace.ID != "trace-c1" || s.Parent == nil || s.Parent.ID != "sid-c1" || s.Vigil.ParentHow != correlate.HowNetwork || s.Vigil.ParentConfidence != 1 {
		t.Fatalf("server span after Apply: trace %s parent %+v how %s confidence %v", s.Trace.ID, s.Parent, s.Vigil.ParentHow, s.Vigil.ParentConfidence)
	}
}
