package mysql

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vigil-dev/vigil/internal/reassembly"
)

// FuzzParser cuts data into syscalls by script: each script byte gives a
// piece's direction (bit 7), whether bytes were lost before it (bit 6),
// whether its tail was not captured (bit 5) and its length (low bits).
// Whatever the bytes, the parser must not panic and must emit only sane
// exchanges.
func FuzzParser(f *testing.F) {
	for _, name := range []string{"client", "client_errors", "stmt"} {
		var data []byte
		var script []byte
		for _, s := range loadFixture(f, filepath.Join("testdata", name+".jsonl")) {
			data = append(data, s.pc.Data...)
			for n := len(s.pc.Data); n > 0; n -= 32 {
				script = append(script, byte(s.dir)<<7|byte(min(n, 32)-1))
			}
		}
		f.Add(data, script, false)
	}
	f.Add([]byte(query("SELECT 1")+resultOf(2, eofPkt)), []byte{0x8c, 0x1f, 0x3f}, true)
	f.Add([]byte(query("LOAD DATA LOCAL INFILE 'f' INTO TABLE t")+pkt(1, "\xfbf")+pkt(2, "1\n")+pkt(3, "")+pkt(4, okPkt)), []byte{0x80, 0x00}, true)
	f.Fuzz(func(t *testing.T, data, script []byte, joined bool) {
		var got []Exchange
		p := NewParser(func(x Exchange) { got = append(got, x) }, joined)
		ts := uint64(0)
		for i := 0; len(data) > 0 && i < 100000; i++ {
			op := byte(0x1f)
			if len(script) > 0 {
				op = script[i%len(script)]
			}
			n := min(int(op&0x1f)+1, len(data))
			pc := reassembly.Piece{Data: data[:n], Start: ts, End: ts + 5}
			if op&0x40 != 0 {
				pc.Lost = uint64(op & 0x0f)
			}
			if op&0x20 != 0 && n > 4 {
				pc.Skipped = n - 4
				pc.Data = pc.Data[:4]
			}
			p.Feed(reassembly.Direction(op>>7), pc)
			data = data[n:]
			ts += 10
		}
		p.Close()
		for _, x := range got {
			if !strings.HasPrefix(x.Command, "COM_") || x.RequestBytes < 5 || x.ResponseBytes < 0 {
				t.Fatalf("bad exchange %+v", x)
			}
			if x.Rows < -1 || len(x.Statement) > maxStatement || len(x.Error) > 256 {
				t.Fatalf("bad fields %+v", x)
			}
			if x.Incomplete && x.Reason == "" || x.Incomplete && x.Rows != -1 && x.Reason != "statement prepared before capture" {
				t.Fatalf("incomplete with a row count: %+v", x)
			}
		}
	})
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"SELECT * FROM t WHERE a = 'x''y' AND b = 1.5e3", "insert into t1 values (0x1F, X'0A', _utf8mb4'é')",
		"SELECT /*+ HINT(1) */ `a``b` -- c\n FROM t # d", "SELECT 'unterminated \\", "/*!40101 SET NAMES utf8 */", ".5e", "1abc 0x 0b2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if len(n) > maxStatement {
			t.Fatalf("%d bytes", len(n))
		}
		if utf8.ValidString(s) && !utf8.ValidString(n) {
			t.Fatalf("invalid UTF-8 from valid input: %q -> %q", s, n)
		}
		if !strings.Contains(s, "`") && strings.Contains(n, "  ") || strings.HasPrefix(n, " ") || strings.HasSuffix(n, " ") {
			t.Fatalf("whitespace not collapsed: %q -> %q", s, n)
		}
		if Normalize(n) != n && !strings.Contains(s, "/*") && !strings.ContainsAny(s, "#-`\"'") {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, n, Normalize(n))
		}
		_ = Operation(s)
	})
}

// BenchmarkParser replays the prepared-statement recording (47
// exchanges): ns/op is per connection; exchanges/s is reported.
func BenchmarkParser(b *testing.B) {
	steps := capture(loadFixture(b, filepath.Join("testdata", "stmt.jsonl")), 1024)
	n := 0
	emit := func(Exchange) { n++ }
	b.ReportAllocs()
	for b.Loop() {
		p := NewParser(emit, false)
		for _, s := range steps {
			p.Feed(s.dir, s.pc)
		}
		p.Close()
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "exchanges/s")
}
