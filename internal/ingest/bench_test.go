package ingest

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/redact"
	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store/sqlite"
)

// benchDatagrams is a realistic mix of what in-process agents send.
func benchDatagrams(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		switch i % 4 {
		case 0:
			out[i] = fmt.Appendf(nil, "0\tPOST\tapi.stripe.com\t/v1/charges\t%d.%d\n", 20+i%50, i%10)
		case 1:
			out[i] = fmt.Appendf(nil, "1\tGET\thttps://api.github.com/repos/acme/shop/pulls?state=open&page=%d\t%d\n", i%7, 100+i%30)
		case 2:
			out[i] = fmt.Appendf(nil, "0 GET maps.example.com /geo?q=berlin&token=s3cr3t-%d 12.25", i)
		default:
			out[i] = fmt.Appendf(nil, "1\tPUT\thttp://10.0.0.5:8080/items/%d\t3.75\n", i)
		}
	}
	return out
}

func benchStore(b *testing.B) *sqlite.Store {
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "vigil.db"), sqlite.Options{Logger: quietLog()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	return st
}

// BenchmarkDatagramsToStore parses, filters and stores datagrams, 1000 a
// batch, on one goroutine: datagrams per CPU second is the rate per core.
// The socket is left out (BenchmarkStoreDatagramSpans is the baseline: the
// store write alone, of the same spans).
func BenchmarkDatagramsToStore(b *testing.B) {
	st := benchStore(b)
	h, err := newHandler(DatagramOptions{Service: "shop", Node: "bench", Filter: benchFilter(b), Routes: []Route{
		{API: "stripe", Operation: "create charge", Method: "^POST$", Host: `stripe\.com$`, Path: "^/v1/charges"},
		{API: "github", Host: `^api\.github\.com$`},
	}}, quietLog())
	if err != nil {
		b.Fatal(err)
	}
	payloads := benchDatagrams(4096)
	from := netip.MustParseAddrPort("127.0.0.1:40000")
	batch := make([]span.Span, 0, 1000)
	ctx := context.Background()
	now := time.Now()
	n := 0
	runtime.GC() // the setup's garbage is not the measured path's
	cpu0 := cpuTime(b)
	for b.Loop() {
		for range 1000 {
			h.handle(payloads[n%len(payloads)], from, now.Add(time.Duration(n)*10*time.Microsecond), uint64(n), &batch)
			n++
		}
		if err := st.WriteSpans(ctx, batch); err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
	}
	b.ReportMetric(float64(n)/(cpuTime(b)-cpu0).Seconds(), "datagrams/cpu-s")
}

// BenchmarkStoreDatagramSpans is the baseline of BenchmarkDatagramsToStore:
// the same spans, built beforehand (outside the measured CPU time), written
// alone.
func BenchmarkStoreDatagramSpans(b *testing.B) {
	st := benchStore(b)
	h, err := newHandler(DatagramOptions{Service: "shop", Node: "bench"}, quietLog())
	if err != nil {
		b.Fatal(err)
	}
	payloads := benchDatagrams(4096)
	from := netip.MustParseAddrPort("127.0.0.1:40000")
	now := time.Now()
	const pool = 300_000
	spans := make([]span.Span, 0, pool)
	// build makes the next pool of spans, ids and times after the last.
	build := func(round int) {
		spans = spans[:0]
		for i := round * pool; i < (round+1)*pool; i++ {
			h.handle(payloads[i%len(payloads)], from, now.Add(time.Duration(i)*10*time.Microsecond), uint64(i), &spans)
		}
		runtime.GC() // the setup's garbage is not the measured path's
	}
	build(0)
	ctx := context.Background()
	n, written, round := 0, 0, 0
	var setup time.Duration
	cpu0 := cpuTime(b)
	for b.Loop() {
		if n+1000 > pool {
			b.StopTimer()
			c := cpuTime(b)
			round++
			build(round)
			n = 0
			setup += cpuTime(b) - c
			b.StartTimer()
		}
		if err := st.WriteSpans(ctx, spans[n:n+1000]); err != nil {
			b.Fatal(err)
		}
		n += 1000
		written += 1000
	}
	b.ReportMetric(float64(written)/(cpuTime(b)-cpu0-setup).Seconds(), "spans/cpu-s")
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchFilter is the redaction every input applies.
func benchFilter(b *testing.B) func(*span.Span) {
	r, err := redact.New(redact.Default())
	if err != nil {
		b.Fatal(err)
	}
	return r.Span
}

// BenchmarkDatagramHandle is the part of BenchmarkDatagramsToStore before
// the store: parse, route, build the span, redact.
func BenchmarkDatagramHandle(b *testing.B) {
	h, err := newHandler(DatagramOptions{Service: "shop", Node: "bench", Filter: benchFilter(b), Routes: []Route{
		{API: "stripe", Operation: "create charge", Method: "^POST$", Host: `stripe\.com$`, Path: "^/v1/charges"},
		{API: "github", Host: `^api\.github\.com$`},
	}}, quietLog())
	if err != nil {
		b.Fatal(err)
	}
	payloads := benchDatagrams(4096)
	from := netip.MustParseAddrPort("127.0.0.1:40000")
	batch := make([]span.Span, 0, 1000)
	now := time.Now()
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		if len(batch) == 1000 {
			batch = batch[:0]
		}
		h.handle(payloads[n%len(payloads)], from, now, uint64(n), &batch)
		n++
	}
}
