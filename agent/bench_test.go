package agent

import (
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store/sqlite"
)

// rawData builds a data event as the BPF program lays it out.
func rawData(dir uint8, tgid uint32, fd int32, conn, off, ts uint64, payload string) []byte {
	b := make([]byte, dataHeaderSize+len(payload))
	b[0], b[1] = evData, dir
	binary.LittleEndian.PutUint32(b[4:], tgid)
	binary.LittleEndian.PutUint32(b[12:], uint32(fd))
	binary.LittleEndian.PutUint64(b[16:], conn)
	binary.LittleEndian.PutUint64(b[24:], off)
	binary.LittleEndian.PutUint64(b[32:], ts)
	binary.LittleEndian.PutUint64(b[40:], ts+1000)
	binary.LittleEndian.PutUint32(b[48:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(b[52:], uint32(len(payload)))
	copy(b[dataHeaderSize:], payload)
	return b
}

// benchPipeline pushes keep-alive exchanges through the user-space path
// (decode, reassemble, parse, build span, batch) into sink and reports
// spans per second of one core.
func benchPipeline(b *testing.B, sink SpanSink) {
	procs, _ := NewProcesses("/proc", nil)
	m := NewMetrics(prometheus.NewRegistry(), nil)
	ex := newExporter(sink, nil, 1024, m, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ex.start(context.Background())
	tr := newTracker(trackerOptions{node: "bench", procs: procs, clock: newClock(), metrics: m,
		log: slog.New(slog.NewTextHandler(io.Discard, nil)), batchSize: 2000, submit: ex.submit, newBatch: ex.batch, forget: func(uint32) {}})
	req := "GET /api/orders/42?expand=items HTTP/1.1\r\nHost: shop.internal:8080\r\nUser-Agent: Go-http-client/1.1\r\nAccept-Encoding: gzip\r\n\r\n"
	resp := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: Sun, 22 Nov 2026 20:00:00 GMT\r\nContent-Length: 27\r\n\r\n{\"id\":42,\"status\":\"placed\"}"
	const conns = 64
	var offIn, offOut [conns]uint64
	reqEv, respEv := rawData(0, 4242, 0, 0, 0, 0, req), rawData(1, 4242, 0, 0, 0, 0, resp)
	set := func(e []byte, fd int32, conn, off, ts uint64) []byte {
		binary.LittleEndian.PutUint32(e[12:], uint32(fd))
		binary.LittleEndian.PutUint64(e[16:], conn)
		binary.LittleEndian.PutUint64(e[24:], off)
		binary.LittleEndian.PutUint64(e[32:], ts)
		binary.LittleEndian.PutUint64(e[40:], ts+1000)
		return e
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime(b)
	for i := 0; i < b.N; i++ {
		c := i % conns
		ts := uint64(i) * 10000
		tr.handle(set(reqEv, int32(10+c), uint64(c+1), offIn[c], ts))
		tr.handle(set(respEv, int32(10+c), uint64(c+1), offOut[c], ts+5000))
		offIn[c] += uint64(len(req))
		offOut[c] += uint64(len(resp))
	}
	tr.flush()
	ex.stop()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "spans/s")
	// Per core: the exporter writes on its own goroutine, so wall time
	// on two cores flatters the rate.
	b.ReportMetric(float64(b.N)/(cpuTime(b)-cpu0).Seconds(), "spans/cpu-s")
}

// cpuTime is the CPU time the process used so far, user and system, all
// goroutines and the GC included.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type countSink struct{ n int }

func (c *countSink) Write(_ context.Context, batch []span.Span) error {
	c.n += len(batch)
	return nil
}

func BenchmarkPipelineParse(b *testing.B) { benchPipeline(b, &countSink{}) }

func BenchmarkPipelineParseAndStore(b *testing.B) {
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "vigil.db"), sqlite.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	benchPipeline(b, SinkFunc(st.WriteSpans))
}
