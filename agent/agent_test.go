package agent

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/agent/traffic"
	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/span"
)

func kindIs(kind string, port int) func(*span.Span) bool {
	return func(s *span.Span) bool {
		if s.Span.Kind != kind {
			return false
		}
		if kind == span.KindServer {
			return s.Destination.Port == port
		}
		return s.Destination.Port == port
	}
}

// checkAgainstCalls asserts one span per call with the call's method,
// path, status and body size, inside the client's own time bounds. With
// concurrent connections the pairing is by content and time: each span
// takes the earliest-ending unmatched call that contains it.
func checkAgainstCalls(t *testing.T, spans []span.Span, calls []traffic.Call, allowLostFraming bool) {
	t.Helper()
	if len(spans) != len(calls) {
		t.Fatalf("got %d spans for %d requests", len(spans), len(calls))
	}
	// The agent's clock conversion may be off by a few microseconds. A
	// server span ends when its last response write returns, and the client
	// may have read that response before it does: the server's thread (or
	// the VM's vCPU it runs on) can be descheduled in between, so its end
	// gets more room (3 ms seen on this VM's host in a CI run, inside a
	// client call that itself took 3.2 ms instead of 0.1).
	const slack, serverEndSlack = 200 * time.Microsecond, 5 * time.Millisecond
	fits := func(s *span.Span, c traffic.Call) bool {
		end := slack
		if s.Span.Kind == span.KindServer {
			end = serverEndSlack
		}
		return s.HTTP.Request.Method == c.Method && s.HTTP.Request.Path == c.Path && s.HTTP.Response.StatusCode == c.Status &&
			!s.Timestamp.Before(time.Unix(0, c.Start).Add(-slack)) && !s.End().After(time.Unix(0, c.End).Add(end))
	}
	for i := range spans {
		if spans[i].HTTP == nil {
			t.Fatalf("span %d (%s) has no http fields", i, spans[i].Span.Name)
		}
	}
	// Each span must be one request the client made: a perfect matching of
	// spans to calls that fit them (concurrent calls of one path overlap,
	// so a first-fit choice could take a call another span needs).
	match := matchSpans(len(spans), len(calls), func(i, j int) bool { return fits(&spans[i], calls[j]) })
	unmatched := 0
	var zero []int
	for i := range spans {
		s := &spans[i]
		if match[i] < 0 {
			unmatched++
			t.Errorf("span %d (%s %s status %d, %s..%s) matches no request the client made%s", i, s.HTTP.Request.Method, s.HTTP.Request.Path,
				s.HTTP.Response.StatusCode, s.Timestamp.Format(time.StampMicro), s.End().Format(time.StampMicro), nearestCall(s, calls))
			continue
		}
		c := calls[match[i]]
		lostFraming := s.Vigil.Incomplete && strings.Contains(s.Vigil.Reason, "framing")
		if allowLostFraming && lostFraming {
			if s.HTTP.Response.BodyBytes != 0 {
				t.Errorf("span %d lost its framing yet claims a body of %d bytes", i, s.HTTP.Response.BodyBytes)
			}
			continue
		}
		if s.Vigil.Incomplete {
			t.Errorf("span %d incomplete: %s", i, s.Vigil.Reason)
		}
		if s.HTTP.Response.BodyBytes != c.BodyBytes {
			t.Errorf("span %d response body = %d bytes, the client read %d", i, s.HTTP.Response.BodyBytes, c.BodyBytes)
		}
		switch {
		case s.Span.Duration.US < 0:
			t.Errorf("span %d: duration %dµs", i, s.Span.Duration.US)
		case s.Span.Duration.US == 0:
			zero = append(zero, i)
		}
	}
	// A client span starts when its request write is seen to return. When
	// the host deschedules the writing thread between the loopback send and
	// that return, the reply can be read first (seen twice in 1,000 in a CI
	// run), and the span is clamped to no duration. That must stay rare: two
	// spans, or one in a hundred.
	if len(zero) > 2 && len(zero)*100 > len(spans) {
		t.Errorf("spans %v of %d have no duration", zero, len(spans))
	} else if len(zero) > 0 {
		t.Logf("spans %v of %d have no duration: their request write was seen to return after the reply", zero, len(spans))
	}
	if unmatched > 0 {
		t.Log(unmatchedCalls(spans, calls, match))
	}
}

// unmatchedCalls describes, for a failure, each call no span was matched
// to, with the spans nearest it in time.
func unmatchedCalls(spans []span.Span, calls []traffic.Call, match []int) string {
	taken := make([]bool, len(calls))
	for _, j := range match {
		if j >= 0 {
			taken[j] = true
		}
	}
	var b strings.Builder
	for j, c := range calls {
		if taken[j] {
			continue
		}
		fmt.Fprintf(&b, "call %d (%s %s status %d, %s..%s) got no span; spans near it:", j, c.Method, c.Path, c.Status,
			time.Unix(0, c.Start).Format(time.StampMicro), time.Unix(0, c.End).Format(time.StampMicro))
		for i := range spans {
			s := &spans[i]
			if d := s.Timestamp.Sub(time.Unix(0, c.Start)); d > -5*time.Millisecond && d < 5*time.Millisecond {
				fmt.Fprintf(&b, " [%d %s..%s matched to call %d]", i, s.Timestamp.Format(time.StampMicro), s.End().Format(time.StampMicro), match[i])
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// nearestCall describes the call of the same request whose bounds come
// closest to containing s, for a failure message.
func nearestCall(s *span.Span, calls []traffic.Call) string {
	best, out := time.Duration(1<<62), ""
	for _, c := range calls {
		if s.HTTP.Request.Method != c.Method || s.HTTP.Request.Path != c.Path || s.HTTP.Response.StatusCode != c.Status {
			continue
		}
		early := time.Unix(0, c.Start).Sub(s.Timestamp)
		late := s.End().Sub(time.Unix(0, c.End))
		if miss := max(early, late, 0); miss < best {
			best, out = miss, fmt.Sprintf("; closest call %s..%s (starts %s later, ends %s earlier)",
				time.Unix(0, c.Start).Format(time.StampMicro), time.Unix(0, c.End).Format(time.StampMicro), early, late)
		}
	}
	return out
}

// matchSpans finds a maximum matching of n spans to m calls where fit(i,
// j) says span i may be call j (augmenting paths); match[i] is -1 for a
// span left without a call.
func matchSpans(n, m int, fit func(i, j int) bool) []int {
	cand := make([][]int, n)
	for i := range n {
		for j := range m {
			if fit(i, j) {
				cand[i] = append(cand[i], j)
			}
		}
	}
	owner := make([]int, m)
	for j := range owner {
		owner[j] = -1
	}
	var seen []bool
	var try func(i int) bool
	try = func(i int) bool {
		for _, j := range cand[i] {
			if seen[j] {
				continue
			}
			seen[j] = true
			if owner[j] < 0 || try(owner[j]) {
				owner[j] = i
				return true
			}
		}
		return false
	}
	for i := range n {
		seen = make([]bool, m)
		try(i)
	}
	match := make([]int, n)
	for i := range match {
		match[i] = -1
	}
	for j, i := range owner {
		if i >= 0 {
			match[i] = j
		}
	}
	return match
}

func clientEnv(srv *server, paths string, requests, conns int, extra ...string) []string {
	return append([]string{
		"VIGIL_TRAFFIC_URL=http://" + srv.addr,
		"VIGIL_TRAFFIC_PATHS=" + paths,
		"VIGIL_TRAFFIC_REQUESTS=" + strconv.Itoa(requests),
		"VIGIL_TRAFFIC_CONNS=" + strconv.Itoa(conns),
	}, extra...)
}

func TestGoServerAndClientSpans(t *testing.T) {
	cases := []struct {
		name     string
		paths    string
		requests int
		conns    int
		extra    []string
		capture  int
		// Chunk sizes inside bytes the client read but the agent did not
		// capture cannot be decoded: such client spans must say so.
		lostFraming bool
	}{
		{name: "small", paths: "/hello,/status?code=404,/status?code=503", requests: 30, conns: 1},
		{name: "keep-alive 1000 on one connection", paths: "/hello", requests: 1000, conns: 1},
		{name: "chunked bodies", paths: "/chunked?n=5000&k=5,/chunked?n=100&k=1", requests: 20, conns: 1, lostFraming: true},
		{name: "chunked bodies, 16 KiB capture", paths: "/chunked?n=5000&k=5,/chunked?n=100&k=1", requests: 20, conns: 1, capture: 16384},
		{name: "bodies larger than the capture", paths: "/bytes?n=70000", requests: 10, conns: 1, capture: 1024},
		{name: "request bodies", paths: "/echo", requests: 10, conns: 1, extra: []string{"VIGIL_TRAFFIC_METHOD=POST", "VIGIL_TRAFFIC_BODY=9000"}},
		{name: "64 concurrent connections", paths: "/hello,/bytes?n=3000", requests: 20, conns: 64},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t)
			a := startAgent(t, func(c *config.Agent) {
				c.Ports = []int{srv.port()}
				if tc.capture > 0 {
					c.CaptureBytes = tc.capture
				}
			})
			calls, _ := runClient(t, clientEnv(srv, tc.paths, tc.requests, tc.conns, tc.extra...)...)
			n := tc.requests * tc.conns
			servers := a.waitSpans(t, n, kindIs(span.KindServer, srv.port()))
			clients := a.waitSpans(t, n, kindIs(span.KindClient, srv.port()))
			a.stop(t)
			t.Run("server spans", func(t *testing.T) { checkAgainstCalls(t, servers, append([]traffic.Call(nil), calls...), false) })
			t.Run("client spans", func(t *testing.T) {
				checkAgainstCalls(t, clients, append([]traffic.Call(nil), calls...), tc.lostFraming)
			})
		})
	}
}

func TestTraceparentLinksClientAndServer(t *testing.T) {
	srv := startServer(t)
	a := startAgent(t, func(c *config.Agent) { c.Ports = []int{srv.port()} })
	tp := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	runClient(t, clientEnv(srv, "/hello", 3, 1, "VIGIL_TRAFFIC_TRACEPARENT="+tp)...)
	servers := a.waitSpans(t, 3, kindIs(span.KindServer, srv.port()))
	clients := a.waitSpans(t, 3, kindIs(span.KindClient, srv.port()))
	a.stop(t)
	if len(servers) != 3 || len(clients) != 3 {
		t.Fatalf("got %d server and %d client spans, want 3 and 3", len(servers), len(clients))
	}
	for _, s := range servers {
		if s.Trace.ID != "4bf92f3577b34da6a3ce929d0e0e4736" || s.Parent == nil || s.Parent.ID != "00f067aa0ba902b7" || !s.Vigil.TraceFromTraffic {
			t.Errorf("server span trace %s parent %v: not the traceparent's", s.Trace.ID, s.Parent)
		}
	}
	for _, s := range clients {
		if s.Trace.ID != "4bf92f3577b34da6a3ce929d0e0e4736" || s.Span.ID != "00f067aa0ba902b7" {
			t.Errorf("client span trace %s id %s: not the traceparent's", s.Trace.ID, s.Span.ID)
		}
	}
}

func TestPIDFilterTracesOnlyThatProcess(t *testing.T) {
	srv := startServer(t)
	a := startAgent(t, func(c *config.Agent) { c.PIDs = []int{srv.cmd.Process.Pid} })
	runClient(t, clientEnv(srv, "/hello", 5, 1)...)
	got := a.waitSpans(t, 5, func(s *span.Span) bool { return s.Process.PID == srv.cmd.Process.Pid })
	time.Sleep(200 * time.Millisecond)
	all := a.stop(t)
	if len(got) != 5 {
		t.Fatalf("got %d spans of the server process, want 5", len(got))
	}
	for _, s := range all {
		if s.Process.PID != srv.cmd.Process.Pid {
			t.Errorf("span of pid %d (%s) captured although only pid %d is traced", s.Process.PID, s.Service.Name, srv.cmd.Process.Pid)
		}
		if s.Span.Kind != span.KindServer {
			t.Errorf("server process produced a %s span", s.Span.Kind)
		}
	}
}
