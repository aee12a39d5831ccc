package otlp

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/vigil-dev/vigil/internal/redact"
	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store/sqlite"
)

// distinctBodies encodes n exports of benchRequest whose span ids differ
// (numbered from `from`), so that the store never skips a span as already
// stored.
func distinctBodies(b *testing.B, from, n int) [][]byte {
	bodies := make([][]byte, n)
	for k := range bodies {
		i := from + k
		req := benchRequest()
		for _, s := range req.ResourceSpans[0].ScopeSpans[0].Spans {
			s.SpanId[0], s.SpanId[1], s.SpanId[2] = byte(i>>16), byte(i>>8), byte(i)
			s.StartTimeUnixNano += uint64(i) * 100_000_000
			s.EndTimeUnixNano += uint64(i) * 100_000_000
		}
		var err error
		if bodies[k], err = proto.Marshal(req); err != nil {
			b.Fatal(err)
		}
	}
	return bodies
}

func benchStore(b *testing.B) *sqlite.Store {
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "vigil.db"), sqlite.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	return st
}

// BenchmarkOTLPToStore is the whole OTLP path per core: HTTP handler,
// protobuf decoding, conversion, redaction and the store write, 100 spans a
// request. BenchmarkStoreOTLPSpans is its baseline: the store write alone.
func BenchmarkOTLPToStore(b *testing.B) {
	st := benchStore(b)
	red := redact.MustNew(redact.Default())
	h := NewHandler(st, Options{Filter: red.Span, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	const pool = 2000
	bodies := distinctBodies(b, 0, pool)
	n, sent := 0, 0
	var setup time.Duration
	runtime.GC() // the setup's garbage is not the measured path's
	cpu0 := cpuTime(b)
	for b.Loop() {
		if n == pool { // more requests, outside the measured CPU time
			b.StopTimer()
			c := cpuTime(b)
			bodies = distinctBodies(b, sent, pool)
			n = 0
			runtime.GC()
			setup += cpuTime(b) - c
			b.StartTimer()
		}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/v1/traces", bytes.NewReader(bodies[n]))
		req.Header.Set("Content-Type", "application/x-protobuf")
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		n++
		sent++
	}
	b.ReportMetric(float64(sent*benchSpans)/(cpuTime(b)-cpu0-setup).Seconds(), "spans/cpu-s")
}

func BenchmarkStoreOTLPSpans(b *testing.B) {
	st := benchStore(b)
	const pool = 2000
	var batches [][]span.Span
	build := func(from int) {
		bodies := distinctBodies(b, from, pool)
		batches = make([][]span.Span, len(bodies))
		for i, body := range bodies {
			res, err := decodeConvert(body, "otlp/protobuf", Limits{}.withDefaults())
			if err != nil {
				b.Fatal(err)
			}
			batches[i] = res.Spans
		}
		runtime.GC() // the setup's garbage is not the measured path's
	}
	build(0)
	n, written := 0, 0
	var setup time.Duration
	cpu0 := cpuTime(b)
	for b.Loop() {
		if n == pool { // more batches, outside the measured CPU time
			b.StopTimer()
			c := cpuTime(b)
			build(written)
			n = 0
			setup += cpuTime(b) - c
			b.StartTimer()
		}
		if err := st.WriteSpans(context.Background(), batches[n]); err != nil {
			b.Fatal(err)
		}
		n++
		written++
	}
	b.ReportMetric(float64(written*benchSpans)/(cpuTime(b)-cpu0-setup).Seconds(), "spans/cpu-s")
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
