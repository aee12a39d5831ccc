package sqlite

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/result"
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
