package postgres

import "testing"

// BenchmarkParser replays the pgbench -M prepared recording; exchanges/s
// is per core.
func BenchmarkParser(b *testing.B) {
	steps := loadFixture(b, "pgbench_prepared")
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		parsers := map[int]*Parser{}
		for _, s := range steps {
			p := parsers[s.conn]
			if p == nil {
				p = NewParser(func(Exchange) { n++ }, false)
				parsers[s.conn] = p
			}
			p.Feed(s.dir, s.pc)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "exchanges/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/exchange")
}
