// Package network links a client span to the server span of the same
// exchange seen from the other end of the connection: the same 4-tuple
// (client address and port, server address and port) and a server span
// whose time lies within the client's. On one host both come from the same
// clock; across hosts Skew allows for clocks that disagree.
package network

import (
	"sort"
	"time"

	"github.com/vigil-dev/vigil/internal/correlate"
	"github.com/vigil-dev/vigil/internal/span"
)

// Options tune the matching.
type Options struct {
	// Skew is how far the two ends' clocks may disagree (0: same host).
	Skew time.Duration
}

// slack is allowed even on one host: a span's ends are taken when a
// syscall is seen to return, after its bytes moved, and the reader's
// syscall can return before the writer's that woke it (two CPUs); a writer
// descheduled in between (a busy host) is seen to return milliseconds
// later. So a server span may start or end outside its client span: by
// 2.2 ms in one run of 30 of TestNetworkCorrelationOfRealTraffic on the
// 2-core VM, 3 ms in a CI run of the agent's tests.
const slack = 5 * time.Millisecond

type connKey struct {
	srcIP, dstIP     string
	srcPort, dstPort int
}

func keyOf(s *span.Span) (connKey, bool) {
	k := connKey{s.Source.IP, s.Destination.IP, s.Source.Port, s.Destination.Port}
	return k, k.srcIP != "" && k.dstIP != "" && k.srcPort != 0 && k.dstPort != 0
}

// Edges returns, for each server span, the client span of the same
// connection (same 4-tuple) it answered. HTTP/1 and the other
// request/response protocols keep their exchanges in order on a
// connection, so when both ends saw the same number, the n-th client span
// is the n-th server span's parent (confidence 1), provided the server's
// lies within the client's give or take Skew and a few milliseconds of
// slack.
// Otherwise (an end lost exchanges, or a pair does not fit) each server
// span takes the fitting client span whose start and end are closest to
// its own; the confidence is then the runner-up's distance over the sum of
// both (1 when nothing else fits). A server span already linked by its
// traffic's trace context gets no edge here.
func Edges(spans []span.Span, o Options) []correlate.Edge {
	clients, servers := map[connKey][]int{}, map[connKey][]int{}
	for i := range spans {
		s := &spans[i]
		k, ok := keyOf(s)
		switch {
		case !ok:
		case s.Span.Kind == span.KindClient:
			clients[k] = append(clients[k], i)
		case s.Span.Kind == span.KindServer:
			servers[k] = append(servers[k], i)
		}
	}
	tol := o.Skew + slack
	var out []correlate.Edge
	for k, srvs := range servers {
		cls := clients[k]
		byStart := func(idx []int) {
			sort.SliceStable(idx, func(a, b int) bool { return spans[idx[a]].Timestamp.Before(spans[idx[b]].Timestamp) })
		}
		byStart(srvs)
		byStart(cls)
		inOrder := len(cls) == len(srvs)
		for n, si := range srvs {
			srv := &spans[si]
			if srv.Vigil.TraceFromTraffic && srv.Parent != nil {
				continue
			}
			if inOrder && within(srv, &spans[cls[n]], tol) {
				out = append(out, correlate.Edge{Parent: spans[cls[n]].ID, Child: srv.ID, How: correlate.HowNetwork, Confidence: 1})
				continue
			}
			if e, ok := closest(spans, srv, cls, tol); ok {
				out = append(out, e)
			}
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Child < out[b].Child })
	return out
}

// closest is the fitting client span nearest in start and end.
func closest(spans []span.Span, srv *span.Span, cls []int, tol time.Duration) (correlate.Edge, bool) {
	best, second := -1, time.Duration(-1)
	var bestDist time.Duration
	for _, ci := range cls {
		c := &spans[ci]
		if !within(srv, c, tol) {
			continue
		}
		d := dist(srv, c)
		switch {
		case best < 0 || d < bestDist:
			if best >= 0 {
				second = bestDist
			}
			best, bestDist = ci, d
		case second < 0 || d < second:
			second = d
		}
	}
	if best < 0 {
		return correlate.Edge{}, false
	}
	conf := 1.0
	if second >= 0 {
		conf = float64(second+1) / float64(bestDist+second+2)
	}
	return correlate.Edge{Parent: spans[best].ID, Child: srv.ID, How: correlate.HowNetwork, Confidence: conf}, true
}

// within: the server span lies inside the client span, give or take tol.
func within(srv, c *span.Span, tol time.Duration) bool {
	return !srv.Timestamp.Before(c.Timestamp.Add(-tol)) && !srv.End().After(c.End().Add(tol))
}

// dist is how far apart the two spans' starts and ends are.
func dist(srv, c *span.Span) time.Duration {
	return absD(srv.Timestamp.Sub(c.Timestamp)) + absD(srv.End().Sub(c.End()))
}

func absD(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
