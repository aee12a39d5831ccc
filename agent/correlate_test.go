package agent

import (
	"testing"

	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/correlate"
	"github.com/vigil-dev/vigil/internal/correlate/network"
	"github.com/vigil-dev/vigil/internal/span"
)

// TestNetworkCorrelationOfRealTraffic: a Go client and server on 8
// keep-alive connections, no trace context in the traffic: every server
// span is linked to exactly the client span of the same request (same
// connection, same path): both ends saw every exchange, so they are
// matched in order.
func TestNetworkCorrelationOfRealTraffic(t *testing.T) {
	srv := startServer(t)
	a := startAgent(t, func(c *config.Agent) { c.Ports = []int{srv.port()} })
	const requests, conns = 25, 8
	runClient(t, clientEnv(srv, "/hello,/status?code=404,/bytes?n=3000", requests, conns)...)
	n := requests * conns
	a.waitSpans(t, n, kindIs(span.KindServer, srv.port()))
	a.waitSpans(t, n, kindIs(span.KindClient, srv.port()))
	spans := a.stop(t)

	edges := network.Edges(spans, network.Options{})
	if len(edges) != n {
		t.Fatalf("%d edges for %d server spans", len(edges), n)
	}
	byID := map[string]*span.Span{}
	for i := range spans {
		byID[spans[i].ID] = &spans[i]
	}
	children := map[string]bool{}
	for _, e := range edges {
		c, s := byID[e.Parent], byID[e.Child]
		if c.Span.Kind != span.KindClient || s.Span.Kind != span.KindServer || c.HTTP.Request.Path != s.HTTP.Request.Path || e.Confidence < 0.5 {
			t.Fatalf("edge %+v links client %s %s to server %s %s", e, c.Span.Kind, c.HTTP.Request.Path, s.Span.Kind, s.HTTP.Request.Path)
		}
		if children[e.Child] {
			t.Fatalf("server span %s linked twice", e.Child)
		}
		children[e.Child] = true
	}
	if applied := correlate.Apply(spans, edges); applied != n {
		t.Fatalf("applied %d of %d edges", applied, n)
	}
}
