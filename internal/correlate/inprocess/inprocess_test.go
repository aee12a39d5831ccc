package inprocess

import (
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/correlate"
	"github.com/vigil-dev/vigil/internal/span"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

const ms = time.Millisecond

// srv is a request the process served: path, thread, start and duration.
func srv(id, path string, tid int, start, dur time.Duration) span.Span {
	s := span.Span{ID: id, Timestamp: t0.Add(start),
		Span:    span.Info{ID: "sid-" + id, Kind: span.KindServer, Subtype: "http", Name: "GET " + path, Duration: span.Micros{US: dur.Microseconds()}},
		Service: span.Service{Name: "cart"}, Process: span.Process{PID: 42},
		HTTP: &span.HTTP{Request: span.HTTPRequest{Method: "GET", Path: path}}}
	if tid != 0 {
		s.Process.Thread = &span.Thread{ID: tid}
	}
	return s
}

// redis is a call the process made.
func redis(id, stmt string, tid int, start, dur time.Duration) span.Span {
	s := span.Span{ID: id, Timestamp: t0.Add(start),
		Span:    span.Info{ID: "sid-" + id, Kind: span.KindClient, Subtype: "redis", Name: stmt, Duration: span.Micros{US: dur.Microseconds()}},
		Service: span.Service{Name: "cart"}, Process: span.Process{PID: 42},
		DB: &span.DB{Type: "redis", Statement: stmt}}
	if tid != 0 {
		s.Process.Thread = &span.Thread{ID: tid}
	}
	return s
}

func parents(edges []correlate.Edge) map[string]string {
	m := map[string]string{}
	for _, e := range edges {
		m[e.Child] = e.Parent
	}
	return m
}

func TestEdges(t *testing.T) {
	tests := []struct {
		name   string
		method string
		spans  []span.Span
		want   map[string]string // child -> parent
	}{
		{"a call within one request only", "", []span.Span{
			srv("s1", "/cart/1", 0, 0, 10*ms), redis("c1", "GET session", 0, 2*ms, ms),
		}, map[string]string{"c1": "s1"}},
		{"a call outside every request is a root", "", []span.Span{
			srv("s1", "/cart/1", 0, 0, 10*ms), redis("c1", "GET session", 0, 12*ms, ms),
		}, map[string]string{}},
		{"another process's request is no cause", "", func() []span.Span {
			s := srv("s1", "/cart/1", 0, 0, 10*ms)
			s.Process.PID = 7
			return []span.Span{s, redis("c1", "GET x", 0, 2*ms, ms)}
		}(), map[string]string{}},
		{"the request sharing the call's id", "", []span.Span{
			srv("s1", "/cart/1001", 0, 0, 20*ms), srv("s2", "/cart/2002", 0, 1*ms, 20*ms),
			redis("c2", "GET cart:2002", 0, 2*ms, ms), redis("c1", "GET cart:1001", 0, 3*ms, ms),
		}, map[string]string{"c1": "s1", "c2": "s2"}},
		{"the request on the call's thread, where the process keeps requests on threads", "", []span.Span{
			// five certain links teach that this runtime keeps a thread per request
			srv("a1", "/x", 11, 100*ms, 5*ms), redis("b1", "PING", 11, 101*ms, ms),
			srv("a2", "/x", 12, 110*ms, 5*ms), redis("b2", "PING", 12, 111*ms, ms),
			srv("a3", "/x", 13, 120*ms, 5*ms), redis("b3", "PING", 13, 121*ms, ms),
			srv("a4", "/x", 14, 130*ms, 5*ms), redis("b4", "PING", 14, 131*ms, ms),
			srv("a5", "/x", 15, 140*ms, 5*ms), redis("b5", "PING", 15, 141*ms, ms),
			srv("s1", "/x", 21, 0, 20*ms), srv("s2", "/x", 22, 1*ms, 20*ms),
			redis("c2", "PING", 22, 2*ms, ms), redis("c1", "PING", 21, 3*ms, ms),
		}, map[string]string{"b1": "a1", "b2": "a2", "b3": "a3", "b4": "a4", "b5": "a5", "c1": "s1", "c2": "s2"}},
		{"not the request whose operation never makes this call", "", []span.Span{
			srv("h1", "/health", 0, 100*ms, 5*ms), srv("h2", "/health", 0, 110*ms, 5*ms), srv("h3", "/health", 0, 120*ms, 5*ms),
			srv("k1", "/cart/1", 0, 200*ms, 5*ms), redis("d1", "INCR hits", 0, 201*ms, ms),
			srv("k2", "/cart/2", 0, 210*ms, 5*ms), redis("d2", "INCR hits", 0, 211*ms, ms),
			srv("k3", "/cart/3", 0, 220*ms, 5*ms), redis("d3", "INCR hits", 0, 221*ms, ms),
			// the health check began later, nearer the call, but never calls Redis
			srv("s1", "/cart/4", 0, 0, 20*ms), srv("s2", "/health", 0, 2*ms, 10*ms),
			redis("c1", "INCR hits", 0, 3*ms, ms),
		}, map[string]string{"d1": "k1", "d2": "k2", "d3": "k3", "c1": "s1"}},
		{"fifo: the oldest open request", MethodFIFO, []span.Span{
			srv("s1", "/cart/1001", 0, 0, 20*ms), srv("s2", "/cart/2002", 0, 1*ms, 20*ms),
			redis("c2", "GET cart:2002", 0, 2*ms, ms),
		}, map[string]string{"c2": "s1"}},
		{"delay: the request that began nearest before", MethodDelay, []span.Span{
			srv("s1", "/cart/1001", 0, 0, 20*ms), srv("s2", "/cart/2002", 0, 1*ms, 20*ms),
			redis("c1", "GET cart:1001", 0, 2*ms, ms),
		}, map[string]string{"c1": "s2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parents(Edges(tt.spans, Options{Method: tt.method}))
			for child, parent := range tt.want {
				if got[child] != parent {
					t.Errorf("parent of %s = %q, want %q", child, got[child], parent)
				}
			}
			for child, parent := range got {
				if _, ok := tt.want[child]; !ok {
					t.Errorf("unexpected edge %s -> %s", parent, child)
				}
			}
		})
	}
}

func TestOperation(t *testing.T) {
	tests := []struct {
		s    span.Span
		want string
	}{
		{srv("s", "/cart/1001?user=7", 0, 0, ms), "http GET /cart/{}"},
		{redis("c", "GET cart:1001", 0, 0, ms), "redis GET cart:{}"},
		{redis("c", "PING", 0, 0, ms), "redis PING"},
	}
	for _, tt := range tests {
		if got := operation(&tt.s); got != tt.want {
			t.Errorf("operation(%s) = %q, want %q", tt.s.ID, got, tt.want)
		}
	}
}

// Go-like runtime: requests move between threads, calls carry no ids, and
// two requests overlap completely. The threads' timelines tell them apart:
// each first call is written by the thread that just read its request,
// each second call by the thread that just read the first call's response.
func TestEdgesThreadAdjacency(t *testing.T) {
	us := time.Microsecond
	withEnd := func(s span.Span, endTID int) span.Span {
		s.Vigil.EndThread = endTID
		return s
	}
	spans := []span.Span{
		// s1 read on thread 1, s2 on thread 2; both answered on thread 3 and 4
		withEnd(srv("s1", "/cart", 1, 0, 10*ms), 4),
		withEnd(srv("s2", "/cart", 2, 100*us, 10*ms), 3),
		// first calls: c2a written by thread 2 right after s2's read, c1a by thread 1
		withEnd(redis("c2a", "HGETALL cart", 2, 150*us, ms), 1),
		withEnd(redis("c1a", "HGETALL cart", 1, 200*us, ms), 2),
		// second calls: each on the thread that read its first call's response
		withEnd(redis("c1b", "INCR hits", 2, 1300*us, ms), 3),
		withEnd(redis("c2b", "INCR hits", 1, 1250*us, ms), 4),
	}
	got := parents(Edges(spans, Options{}))
	want := map[string]string{"c1a": "s1", "c2a": "s2", "c1b": "s1", "c2b": "s2"}
	for child, parent := range want {
		if got[child] != parent {
			t.Errorf("parent of %s = %q, want %q", child, got[child], parent)
		}
	}
}
