package redis

import (
	"strings"
	"testing"

	"github.com/vigil-dev/vigil/internal/reassembly"
)

// FuzzParser cuts data into syscalls by script: each script byte gives a
// piece's direction (bit 7), whether bytes were lost before it (bit 6),
// whether its tail was not captured (bit 5) and its length (low bits).
// Whatever the bytes, the parser must not panic and must only emit sane
// exchanges. testdata/fuzz/FuzzParser holds seeds cut from the recordings.
func FuzzParser(f *testing.F) {
	seeds := []string{
		cmd("SET", "k", "v") + cmd("GET", "k") + "+OK\r\n$1\r\nv\r\n",
		cmd("SUBSCRIBE", "a", "b") + "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nx\r\n",
		cmd("MULTI") + cmd("INCR", "n") + cmd("EXEC") + "+OK\r\n+QUEUED\r\n*1\r\n:1\r\n",
		"PING\r\nset \"a\\x41\" 'b'\r\n+PONG\r\n-ERR x\r\n",
		cmd("HELLO", "3") + "%1\r\n+proto\r\n:3\r\n>3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nx\r\n|1\r\n+a\r\n:1\r\n_\r\n",
		cmd("UNSUBSCRIBE") + "*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n",
		"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
	}
	for i, s := range seeds {
		f.Add([]byte(s), []byte{byte(20 + i), 0x85, 0x10, 0xa3, 0x7f, 0x01, 0xc2}, i%2 == 0)
	}
	f.Fuzz(func(t *testing.T, data, script []byte, joined bool) {
		var got, bytewise []Exchange
		p := NewParser(func(x Exchange) { got = append(got, x) }, joined)
		// The same stream a byte per piece must parse the same whenever
		// neither parser had to drop anything.
		q := NewParser(func(x Exchange) { bytewise = append(bytewise, x) }, joined)
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
			for j := range pc.Data {
				b := reassembly.Piece{Data: pc.Data[j : j+1], Start: pc.Start, End: pc.End}
				if j == 0 {
					b.Lost = pc.Lost
				}
				if j == len(pc.Data)-1 {
					b.Skipped = pc.Skipped
				}
				q.Feed(reassembly.Direction(op>>7), b)
			}
			data = data[n:]
			ts += 10
		}
		p.Close()
		q.Close()
		if len(p.Stats.Dropped) == 0 && len(q.Stats.Dropped) == 0 && !joined {
			if len(got) != len(bytewise) {
				t.Fatalf("%d exchanges, %d when fed a byte at a time", len(got), len(bytewise))
			}
			for i := range got {
				a, b := got[i], bytewise[i]
				if a.Command != b.Command || a.Key != b.Key || a.Args != b.Args || a.ReplyType != b.ReplyType || a.Error != b.Error || a.Incomplete != b.Incomplete {
					t.Fatalf("exchange %d differs when fed a byte at a time:\n%+v\n%+v", i, a, b)
				}
			}
		}
		for _, x := range got {
			if x.Command == "" || strings.ToUpper(x.Command) != x.Command {
				t.Fatalf("bad command: %+v", x)
			}
			if len(x.Key) > MaxText || len(x.Error) > MaxText {
				t.Fatalf("key or error too long: %+v", x)
			}
			if x.Args < 0 || x.RequestBytes <= 0 || x.ResponseBytes < 0 {
				t.Fatalf("bad sizes: %+v", x)
			}
			if !x.Incomplete && x.ReplyType == "" {
				t.Fatalf("complete without a reply: %+v", x)
			}
			if x.ReplyType == "error" && x.Error == "" && x.ResponseBytes < 4 {
				t.Fatalf("error reply too short: %+v", x)
			}
		}
	})
}
