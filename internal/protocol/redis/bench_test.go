package redis

import (
	"testing"
)

// BenchmarkParser replays the redis-benchmark -P 16 recording (2000 SET
// and 2000 GET in batches of 16) and reports exchanges per second of one
// core.
func BenchmarkParser(b *testing.B) {
	var recs [][]record
	for _, f := range scenarioFiles(b, "bench") {
		recs = append(recs, readFixture(b, f))
	}
	n := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, conn := range recs {
			p := NewParser(func(Exchange) { n++ }, false)
			for _, r := range conn {
				p.Feed(r.piece())
			}
			p.Close()
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "exchanges/s")
	b.ReportMetric(float64(n)/float64(b.N), "exchanges/op")
}
