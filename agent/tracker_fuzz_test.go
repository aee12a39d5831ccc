package agent

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// FuzzTracker feeds arbitrary ring-buffer records to the tracker: whatever
// the kernel side (or a bug in it) sends, the agent must not crash.
func FuzzTracker(f *testing.F) {
	req := "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
	resp := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	f.Add(rawData(0, 1, 3, 7, 0, 100, req), rawData(1, 1, 3, 7, 0, 200, resp), []byte{evClose})
	f.Add(rawData(0, 1, 3, 7, 5, 100, "garbage\x00\xff"), []byte{evData, 9, 9}, []byte{evExit, 0, 0, 0, 1})
	f.Add([]byte{}, []byte{evOpen}, make([]byte, connEventSize))
	f.Fuzz(func(t *testing.T, a, b, c []byte) {
		procs, _ := NewProcesses(t.TempDir(), nil)
		m := NewMetrics(prometheus.NewRegistry(), nil)
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		ex := newExporter(&countSink{}, nil, 4, m, log)
		ex.start(context.Background())
		tr := newTracker(trackerOptions{node: "fuzz", procs: procs, clock: newClock(), metrics: m, log: log,
			batchSize: 3, submit: ex.submit, newBatch: ex.batch, forget: func(uint32) {}})
		for _, raw := range [][]byte{a, b, c, a, c, b} {
			tr.handle(raw)
		}
		tr.closeAll()
		tr.flush()
		ex.stop()
	})
}
