package agent

import (
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
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

// rawOpen builds the open event of a TCP connection a server accepted on
// 127.0.0.1:port.
func rawOpen(tgid uint32, fd int32, conn uint64, port uint16) []byte {
	b := make([]byte, connEventSize)
	b[0], b[1] = evOpen, roleServer
	binary.LittleEndian.PutUint16(b[2:], 2) // AF_INET
	binary.LittleEndian.PutUint32(b[4:], tgid)
	binary.LittleEndian.PutUint32(b[12:], uint32(fd))
	binary.LittleEndian.PutUint64(b[16:], conn)
	copy(b[56:], []byte{127, 0, 0, 1})
	copy(b[72:], []byte{127, 0, 0, 1})
	binary.LittleEndian.PutUint16(b[88:], port)
	binary.LittleEndian.PutUint16(b[90:], 40000)
	binary.LittleEndian.PutUint16(b[92:], sockStream)
	return b
}

// benchPipeline pushes keep-alive exchanges through the user-space path
// (decode, reassemble, parse, build span, batch) into sink and reports
// spans per second of one core.
func benchPipeline(b *testing.B, sink SpanSink) {
	req := "GET /api/orders/42?expand=items HTTP/1.1\r\nHost: shop.internal:8080\r\nUser-Agent: Go-http-client/1.1\r\nAccept-Encoding: gzip\r\n\r\n"
	resp := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: Sun, 22 Nov 2026 20:00:00 GMT\r\nContent-Length: 27\r\n\r\n{\"id\":42,\"status\":\"placed\"}"
	benchEvents(b, sink, req, resp, 1, 0)
}

// benchEvents is benchPipeline's loop: each request event and its response
// event carry perEvent exchanges (pipelining), and an op is one exchange.
// With a port, the connections' open events come first (not measured):
// they are followed from their start.
func benchEvents(b *testing.B, sink SpanSink, req, resp string, perEvent int, port uint16) {
	procs, _ := NewProcesses("/proc", nil)
	m := NewMetrics(prometheus.NewRegistry(), nil)
	ex := newExporter(sink, nil, 1024, m, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ex.start(context.Background())
	tr := newTracker(trackerOptions{node: "bench", procs: procs, clock: newClock(), metrics: m,
		log: slog.New(slog.NewTextHandler(io.Discard, nil)), batchSize: 2000, submit: ex.submit, newBatch: ex.batch, forget: func(uint32) {}})
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
	if port != 0 {
		for c := range conns {
			tr.handle(rawOpen(4242, int32(10+c), uint64(c+1), port))
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime(b)
	for i := 0; i < b.N; i += perEvent {
		c := i / perEvent % conns
		ts := uint64(i) * 10000
		tr.handle(set(reqEv, int32(10+c), uint64(c+1), offIn[c], ts))
		tr.handle(set(respEv, int32(10+c), uint64(c+1), offOut[c], ts+5000))
		offIn[c] += uint64(len(req))
		offOut[c] += uint64(len(resp))
	}
	tr.flush()
	ex.stop()
	spans := (b.N + perEvent - 1) / perEvent * perEvent
	b.ReportMetric(float64(spans)/b.Elapsed().Seconds(), "spans/s")
	// Per core: the exporter writes on its own goroutine, so wall time
	// on two cores flatters the rate.
	b.ReportMetric(float64(spans)/(cpuTime(b)-cpu0).Seconds(), "spans/cpu-s")
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

// BenchmarkPipelineRedis is redis-benchmark -P 16 as the agent sees it:
// 16 SETs in one write, their 16 replies in one read; an op is one
// command's span.
func BenchmarkPipelineRedis(b *testing.B) {
	const set = "*3\r\n$3\r\nSET\r\n$16\r\nkey:__rand_int__\r\n$3\r\nxxx\r\n"
	sink := &countSink{}
	benchEvents(b, sink, strings.Repeat(set, 16), strings.Repeat("+OK\r\n", 16), 16, 6379)
	if want := (b.N + 15) / 16 * 16; sink.n != want {
		b.Fatalf("%d spans, want %d", sink.n, want)
	}
}

func BenchmarkPipelineParseAndStore(b *testing.B) {
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "vigil.db"), sqlite.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	benchPipeline(b, SinkFunc(st.WriteSpans))
}
