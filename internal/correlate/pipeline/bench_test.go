package pipeline

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/span"
)

// checkouts builds n traces of a gateway calling a cart service that calls
// Redis, `concurrent` at a time: 4 spans each, ids in paths and keys,
// keep-alive connections shared by the requests of each client.
func checkouts(n, concurrent int) []span.Span {
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	ep := func(port int) span.Endpoint { return span.Endpoint{IP: "127.0.0.1", Port: port} }
	mk := func(id, kind, svc string, pid int, src, dst span.Endpoint, start time.Time, dur time.Duration) span.Span {
		return span.Span{ID: id, Timestamp: start, Trace: span.Trace{ID: fmt.Sprintf("%032x", rng.Uint64())},
			Span:    span.Info{ID: fmt.Sprintf("%016x", rng.Uint64()), Kind: kind, Subtype: "http", Duration: span.Micros{US: dur.Microseconds()}},
			Service: span.Service{Name: svc}, Process: span.Process{PID: pid, Thread: &span.Thread{ID: pid*100 + rng.IntN(8)}},
			Source: src, Destination: dst}
	}
	out := make([]span.Span, 0, 4*n)
	ms := time.Millisecond
	for i := range n {
		user := 1 + rng.IntN(1_000_000)
		start := t0.Add(time.Duration(i) * 10 * ms / time.Duration(concurrent))
		slot := i % concurrent
		gw := mk(fmt.Sprint("g", i), span.KindServer, "gateway", 1, ep(30000+slot), ep(8080), start, 10*ms)
		gw.HTTP = &span.HTTP{Request: span.HTTPRequest{Method: "GET", Path: fmt.Sprintf("/checkout/%d", user)}}
		call := mk(fmt.Sprint("gc", i), span.KindClient, "gateway", 1, ep(40000+slot), ep(9090), start.Add(ms), 8*ms)
		call.HTTP = &span.HTTP{Request: span.HTTPRequest{Method: "GET", Path: fmt.Sprintf("/cart/%d", user)}}
		cart := mk(fmt.Sprint("c", i), span.KindServer, "cart", 2, ep(40000+slot), ep(9090), start.Add(ms+100*time.Microsecond), 7*ms)
		cart.HTTP = call.HTTP
		redis := mk(fmt.Sprint("r", i), span.KindClient, "cart", 2, ep(50000+slot%16), ep(6379), start.Add(2*ms+time.Duration(rng.Int64N(int64(3*ms)))), ms)
		redis.Span.Subtype = "redis"
		redis.DB = &span.DB{Type: "redis", Statement: fmt.Sprintf("HGETALL cart:%d", user)}
		out = append(out, gw, call, cart, redis)
	}
	return out
}

// BenchmarkRun correlates a window of 20,000 spans (5,000 checkouts, 64 at
// a time) through every layer: spans per second per core.
func BenchmarkRun(b *testing.B) {
	src := checkouts(5000, 64)
	spans := make([]span.Span, len(src))
	b.ReportAllocs()
	for b.Loop() {
		copy(spans, src)
		st := Run(spans, Options{})
		if st.Linked != 3*5000 {
			b.Fatalf("linked %d spans, want %d", st.Linked, 3*5000)
		}
	}
	b.ReportMetric(float64(len(src))*float64(b.N)/b.Elapsed().Seconds(), "spans/s")
}
