package agent

import (
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/span"
)

// TestStopDrainsTheRing stops the agent while the last events are still
// queued below the wakeup threshold (a long poll interval and a threshold
// never reached): stopping must be prompt and turn them into spans, not
// drop them.
func TestStopDrainsTheRing(t *testing.T) {
	srv := startServer(t)
	a := startAgent(t, func(c *config.Agent) {
		c.Ports = []int{srv.port()}
		c.FlushInterval = 10 * time.Second
		c.RingBufferBytes = 8 << 20
		c.WakeupBytes = c.RingBufferBytes / 2
	})
	const requests = 40
	calls, _ := runClient(t, clientEnv(srv, "/hello", requests, 1)...)
	if len(calls) != requests {
		t.Fatalf("client made %d calls, want %d", len(calls), requests)
	}
	if n := len(a.sink.snapshot()); n != 0 {
		t.Fatalf("%d spans before the stop: the events were not held back as this test needs", n)
	}
	start := time.Now()
	got := a.stop(t)
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("stopping took %s: it waited for the poll interval", took)
	}
	var servers []span.Span
	for _, s := range got {
		if kindIs(span.KindServer, srv.port())(&s) {
			servers = append(servers, s)
		}
	}
	checkAgainstCalls(t, servers, calls, false)
}
