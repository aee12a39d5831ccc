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

// distinctBodies encodes n exports of benchRequest whose span ids differ,
// so that the store never skips a span as already stored.
func distinctBodies(b *testing.B, n int) [][]byte {
	bodies := make([][]byte, n)
	for i := range bodies {
		req := benchRequest()
		for _, s := range req.ResourceSpans[0].ScopeSpans[0].Spans {
			s.SpanId[0], s.SpanId[1], s.SpanId[2] = byte(i>>16), byte(i>>8), byte(i)
			s.StartTimeUnixNano += uint64(i) * 100_000_000
			s.EndTimeUnixNano += uint64(i) * 100_000_000
		}
		var err error
		if bodies[i], err = proto.Marshal(req); err != nil {
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
	bodies := distinctBodies(b, 2000)
	n := 0
	runtime.GC() // the setup's garbage is not the measured path's
	cpu0 := cpuTime(b)
	for b.Loop() {
		if n == len(bodies) {
			b.Fatal("run with -benchtime at most 2000x")
		}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/v1/traces", bytes.NewReader(bodies[n]))
		req.Header.Set("Content-Type", "application/x-protobuf")
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		n++
	}
	b.ReportMetric(float64(n*benchSpans)/(cpuTime(b)-cpu0).Seconds(), "spans/cpu-s")
}

func BenchmarkStoreOTLPSpans(b *testing.B) {
	st := benchStore(b)
	bodies := distinctBodies(b, 2000)
	batches := make([][]span.Span, len(bodies))
	for i, body := range bodies {
		res, err := decodeConvert(body, "otlp/protobuf", Limits{}.withDefaults())
		if err != nil {
			b.Fatal(err)
		}
		batches[i] = res.Spans
	}
	n := 0
	runtime.GC() // the setup's garbage is not the measured path's
	cpu0 := cpuTime(b)
	for b.Loop() {
		if err := st.WriteSpans(context.Background(), batches[n]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n*benchSpans)/(cpuTime(b)-cpu0).Seconds(), "spans/cpu-s")
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
