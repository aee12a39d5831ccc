package dnswire

import (
	"testing"
)

// BenchmarkUDP replays the recorded UDP datagrams (dig and the Go
// resolver) through one matcher per socket; an op is the whole recording.
func BenchmarkUDP(b *testing.B) {
	var recs []record
	for _, f := range []string{"dig.jsonl", "goresolver.jsonl"} {
		for _, r := range loadFixture(b, f) {
			if r.Transport == "udp" {
				recs = append(recs, r)
			}
		}
	}
	n := 0
	conns := map[string]*UDP{}
	for _, r := range recs {
		if conns[r.Conn] == nil {
			conns[r.Conn] = NewUDP(func(Exchange) { n++ })
		}
	}
	us := make([]*UDP, len(recs))
	for i, r := range recs {
		us[i] = conns[r.Conn]
	}
	var bytes int64
	per := 0 // exchanges per op: one per response
	for _, r := range recs {
		bytes += int64(r.Size)
		if r.Dir == "ingress" {
			per++
		}
	}
	b.SetBytes(bytes)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for i := range recs {
			r := &recs[i]
			us[i].Datagram(r.dir(), r.Data, r.Size, r.Start, r.End)
		}
	}
	b.StopTimer()
	if n == 0 || n%per != 0 {
		b.Fatalf("%d exchanges", n)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "exchanges/s")
}
