package sqlite

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/store/storetest"
)

// BenchmarkWriteResults writes full results (two steps, ~2.5 KB of JSON) in
// batches; every WriteResults is one durable transaction.
func BenchmarkWriteResults(b *testing.B) {
	for _, bc := range []struct {
		size     int
		fullSync bool
	}{{1, false}, {100, false}, {1, true}, {100, true}} {
		b.Run(fmt.Sprintf("batch=%d/fullsync=%t", bc.size, bc.fullSync), func(b *testing.B) {
			ctx := context.Background()
			s := openTemp(b, Options{FullSync: bc.fullSync})
			b.Cleanup(func() { _ = s.Close() })
			template := storetest.NewResult("", "shop", storetest.Base)
			batch := make([]result.Result, bc.size)
			n := 0
			for b.Loop() {
				for i := range batch {
					batch[i] = template
					batch[i].ID = fmt.Sprintf("r%09d", n)
					batch[i].Timestamp = storetest.Base.Add(time.Duration(n) * time.Millisecond)
					n++
				}
				if err := s.WriteResults(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "results/s")
		})
	}
}

// BenchmarkReads measures the dashboard's queries over 100k results of 100
// monitors.
func BenchmarkReads(b *testing.B) {
	ctx := context.Background()
	s := openTemp(b, Options{})
	b.Cleanup(func() { _ = s.Close() })
	fill(b, s, 100_000, 100)

	b.Run("ListResults/monitor", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.ListResults(ctx, store.ResultQuery{MonitorID: "m042", Limit: 20}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ListResults/down", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.ListResults(ctx, store.ResultQuery{Status: result.StatusDown, Limit: 20}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("LatestResults", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.LatestResults(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// fill writes n results spread over the given number of monitors, one in
// ten down.
func fill(b *testing.B, s *Store, n, monitors int) {
	b.Helper()
	template := storetest.NewResult("", "", storetest.Base)
	batch := make([]result.Result, 0, 1000)
	for i := range n {
		r := template
		r.ID = fmt.Sprintf("r%09d", i)
		r.Monitor.ID = fmt.Sprintf("m%03d", i%monitors)
		r.Monitor.Status = result.StatusUp
		if i%10 == 0 {
			r.Monitor.Status = result.StatusDown
		}
		r.Timestamp = storetest.Base.Add(time.Duration(i) * time.Second)
		batch = append(batch, r)
		if len(batch) == cap(batch) || i == n-1 {
			if err := s.WriteResults(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

// BenchmarkWriteSpans writes batches of 1000 realistic spans (~1.1 KB of
// JSON each, random ids, 4 spans a trace, 8 services), as the node agent
// does. Building the batch is counted, and cheap: ids are not hashed. The
// rate falls as the table outgrows the cache; -benchtime=300x writes 300k.
func BenchmarkWriteSpans(b *testing.B) {
	// Cancelable, as the agent's is: the driver then watches it per statement.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := openTemp(b, Options{})
	b.Cleanup(func() { _ = s.Close() })
	services := []string{"api", "cart", "checkout", "payments", "search", "users", "catalog", "gateway"}
	templates := make([]span.Span, len(services))
	for i, svc := range services {
		templates[i] = storetest.NewSpan("", svc, storetest.Base)
	}
	batch := make([]span.Span, 1000)
	n := 0
	cpu0 := cpuTime(b)
	for b.Loop() {
		for i := range batch {
			sp := templates[n%len(templates)]
			sp.ID = hexID(uint64(n), 16)
			sp.Span.ID = sp.ID
			sp.Trace.ID = hexID(uint64(n/4)^0x5bd1e995, 32)
			sp.Timestamp = storetest.Base.Add(time.Duration(n) * 10 * time.Microsecond)
			batch[i] = sp
			n++
		}
		if err := s.WriteSpans(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "spans/s")
	b.ReportMetric(float64(n)/(cpuTime(b)-cpu0).Seconds(), "spans/cpu-s")
}

// cpuTime is the CPU time the process used so far, user and system, all
// goroutines (GC included): spans/cpu-s is the rate per core, which waits on
// the disk do not blur.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// hexID is a random-looking id of width hex digits (16 or 32), a cheap
// stand-in for span.NewID.
func hexID(n uint64, width int) string {
	var buf [32]byte
	for i := 0; i < width; i += 16 {
		n = splitmix(n)
		for j := range 16 {
			buf[i+j] = "0123456789abcdef"[(n>>(4*j))&0xf]
		}
	}
	return string(buf[:width])
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
