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

type connKey struct {
	srcIP, dstIP     string
	srcPort, dstPort int
}

func keyOf(s *span.Span) (connKey, bool) {
	k := connKey{s.Source.IP, s.Destination.IP, s.Source.Port, s.Destination.Port}
	return k, k.srcIP != "" && k.dstIP != "" && k.srcPort != 0 && k.dstPort != 0
}

// Edges returns, for each server span, the client span of the same
// connection whose interval contains it (within Skew). Keep-alive
// connections carry many exchanges in turn: the client span that starts
// last before the server span wins, and the confidence falls when several
// could contain it (pipelining). A server span already linked by its
// traffic's trace context gets no edge here.
func Edges(spans []span.Span, o Options) []correlate.Edge {
	clients := map[connKey][]int{}
	for i := range spans {
		s := &spans[i]
		if k, ok := keyOf(s); ok && s.Span.Kind == span.KindClient {
			clients[k] = append(clients[k], i)
		}
	}
	for _, idx := range clients {
		sort.Slice(idx, func(a, b int) bool { return spans[idx[a]].Timestamp.Before(spans[idx[b]].Timestamp) })
	}
	var out []correlate.Edge
	for i := range spans {
		srv := &spans[i]
		k, ok := keyOf(srv)
		if !ok || srv.Span.Kind != span.KindServer || (srv.Vigil.TraceFromTraffic && srv.Parent != nil) {
			continue
		}
		best, n := -1, 0
		for _, ci := range clients[k] {
			c := &spans[ci]
			if within(srv, c, o.Skew) {
				n++
				best = ci
			}
		}
		if best >= 0 {
			out = append(out, correlate.Edge{Parent: spans[best].ID, Child: srv.ID, How: correlate.HowNetwork, Confidence: 1 / float64(n)})
		}
	}
	return out
}

// within: the server span lies inside the client span, give or take skew.
func within(srv, c *span.Span, skew time.Duration) bool {
	return !srv.Timestamp.Before(c.Timestamp.Add(-skew)) && !srv.End().After(c.End().Add(skew))
}
