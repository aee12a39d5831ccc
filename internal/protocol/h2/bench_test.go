package h2

import "testing"

// BenchmarkParser replays the 100-call grpc-go recording (health Check on
// one connection) and reports exchanges per second of one core.
func BenchmarkParser(b *testing.B) {
	recs := readFixture(b, "bench")
	n := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := NewParser(func(Exchange) { n++ }, false)
		for _, r := range recs {
			p.Feed(r.piece())
		}
		p.Close(0)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "exchanges/s")
	b.ReportMetric(float64(n)/float64(b.N), "exchanges/op")
}
