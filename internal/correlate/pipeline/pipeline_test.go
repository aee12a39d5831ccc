package pipeline

import (
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/span"
)

// A gateway request calls the cart service, which calls Redis: the network
// layer links the cart's request to the gateway's call, the in-process
// layer the calls to their requests, and all four spans end up in one
// trace, the gateway request's.
func TestRunLinksAChainIntoOneTrace(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	ms := time.Millisecond
	mk := func(id, kind, svc string, pid int, src, dst int, start, dur time.Duration) span.Span {
		return span.Span{ID: id, Timestamp: t0.Add(start), Trace: span.Trace{ID: "trace-of-" + id},
			Span:    span.Info{ID: "sid-" + id, Kind: kind, Duration: span.Micros{US: dur.Microseconds()}},
			Service: span.Service{Name: svc}, Process: span.Process{PID: pid},
			Source: span.Endpoint{IP: "127.0.0.1", Port: src}, Destination: span.Endpoint{IP: "127.0.0.1", Port: dst}}
	}
	spans := []span.Span{
		mk("gw-req", span.KindServer, "gateway", 1, 40000, 8080, 0, 20*ms),
		mk("gw-call", span.KindClient, "gateway", 1, 40001, 9090, 1*ms, 15*ms),
		mk("cart-req", span.KindServer, "cart", 2, 40001, 9090, 2*ms, 12*ms),
		mk("cart-redis", span.KindClient, "cart", 2, 40002, 6379, 3*ms, 2*ms),
	}
	st := Run(spans, Options{})
	if st.Network != 1 || st.InProcess != 2 || st.Linked != 3 {
		t.Errorf("stats %+v, want 1 network edge, 2 in-process, 3 linked", st)
	}
	for _, s := range spans {
		if s.Trace.ID != "trace-of-gw-req" {
			t.Errorf("%s is in trace %s, want the gateway request's", s.ID, s.Trace.ID)
		}
	}
	if spans[0].Parent != nil {
		t.Errorf("the root got parent %v", spans[0].Parent)
	}
	if p := spans[3].Parent; p == nil || p.ID != "sid-cart-req" {
		t.Errorf("redis call's parent = %v, want the cart request", p)
	}
}

func TestIgnoreTraceparent(t *testing.T) {
	s := []span.Span{{ID: "a", Trace: span.Trace{ID: "4bf92f3577b34da6a3ce929d0e0e4736"}, Parent: &span.Parent{ID: "00f067aa0ba902b7"},
		Span: span.Info{Kind: span.KindServer}, Vigil: span.Vigil{TraceFromTraffic: true}}}
	Run(s, Options{IgnoreTraceparent: true})
	if s[0].Parent != nil || s[0].Vigil.TraceFromTraffic || s[0].Trace.ID == "4bf92f3577b34da6a3ce929d0e0e4736" || len(s[0].Trace.ID) != 32 {
		t.Errorf("trace context kept: %+v", s[0])
	}
}
