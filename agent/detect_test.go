package agent

import (
	"encoding/binary"
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigil-dev/vigil/internal/span"
)

// TestGarbageBeforeAnHTTPAnswerIsUnknown: a connection seen from its start
// whose client sends bytes no detector takes (more than detection holds,
// partly captured) is of no known protocol, even when the server answers
// with an HTTP error: the answer must not make the garbage look like HTTP.
// Random garbage, as a real client's would be, over many seeds: some make a
// detector unsure rather than reject, which took another path.
func TestGarbageBeforeAnHTTPAnswerIsUnknown(t *testing.T) {
	procs, _ := NewProcesses("/proc", nil)
	m := NewMetrics(prometheus.NewRegistry(), nil)
	tr := newTracker(trackerOptions{node: "test", procs: procs, clock: newClock(), metrics: m,
		log: slog.New(slog.NewTextHandler(io.Discard, nil)), batchSize: 1,
		submit: func([]span.Span) {}, newBatch: func(n int) []span.Span { return make([]span.Span, 0, n) }, forget: func(uint32) {}})
	answer := "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
	const conns = 300
	r := rand.New(rand.NewPCG(1, 2))
	for i := range conns {
		conn, fd := uint64(i+1), int32(10+i)
		tr.handle(rawOpen(4242, fd, conn, 8080))
		garbage := make([]byte, 1024)
		for j := range garbage {
			garbage[j] = byte(r.UintN(256))
		}
		garbage[0] = 0x16
		in := rawData(0, 4242, fd, conn, 0, 1000, string(garbage))
		binary.LittleEndian.PutUint32(in[48:], 4096) // 4096 bytes moved, 1024 captured
		tr.handle(in)
		tr.handle(rawData(1, 4242, fd, conn, 0, 2000, answer))
	}
	tr.closeAll()
	if got := testutil.ToFloat64(m.Unknown.WithLabelValues("8080")); got != conns {
		t.Errorf("%v of %d garbage connections counted of no known protocol", got, conns)
	}
}
