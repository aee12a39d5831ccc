package h2

import (
	"strings"
	"testing"

	"github.com/vigil-dev/vigil/internal/reassembly"
)

// script encodes pieces for FuzzParser: each byte is one piece: its
// direction (bit 7), whether as many bytes as it is long were lost before
// it (bit 6), whether only its first 4 bytes were captured and the rest
// skipped (bit 5), and its length minus one (bits 0-4). The seed corpus
// (testdata/fuzz/FuzzParser) holds the recordings in this form.
func feedScript(p *Parser, data, script []byte) uint64 {
	ts := uint64(0)
	for i := 0; len(data) > 0 && i < 20000; i++ {
		op := byte(0x1f)
		if len(script) > 0 {
			op = script[i%len(script)]
		}
		n := min(int(op&0x1f)+1, len(data))
		pc := reassembly.Piece{Data: data[:n], Start: ts, End: ts + 5}
		if op&0x40 != 0 {
			pc.Lost = uint64(n)
		}
		if op&0x20 != 0 && n > 4 {
			pc.Skipped = n - 4
			pc.Data = pc.Data[:4]
		}
		p.Feed(reassembly.Direction(op>>7), pc)
		data = data[n:]
		ts += 10
	}
	return ts
}

// FuzzParser: whatever the bytes and however they are cut, the parser
// must not panic and must only emit sane exchanges.
func FuzzParser(f *testing.F) {
	k := newKit()
	var data, script []byte
	for _, w := range append([]wire{preface}, k.call(1)...) {
		for b := w.data; len(b) > 0; {
			n := min(len(b), 32)
			data = append(data, b[:n]...)
			script = append(script, byte(w.dir)<<7|byte(n-1))
			b = b[n:]
		}
	}
	f.Add(data, script, false)
	f.Add(data[24:], script, true)
	f.Add(data, []byte{0x83, 0x1f, 0x05, 0xa7, 0x45, 0x01}, false)
	f.Fuzz(func(t *testing.T, data, script []byte, joined bool) {
		var got []Exchange
		p := NewParser(func(x Exchange) { got = append(got, x) }, joined)
		p.Close(feedScript(p, data, script))
		for _, x := range got {
			if x.Path != "" && !strings.HasPrefix(x.Path, "/") && x.Path != "*" {
				t.Fatalf("path %q", x.Path)
			}
			if x.RequestBytes < 0 || x.ResponseBytes < 0 {
				t.Fatalf("negative size: %+v", x)
			}
			if x.Status != 0 && (x.Status < 200 || x.Status > 999) {
				t.Fatalf("status %d", x.Status)
			}
			if x.GRPCStatus < -1 || len(x.GRPCMessage) > maxGRPCMessage {
				t.Fatalf("grpc %d %q", x.GRPCStatus, x.GRPCMessage)
			}
			if x.Incomplete != (x.Reason != "") {
				t.Fatalf("incomplete %v reason %q", x.Incomplete, x.Reason)
			}
			if (x.Reason == ReasonHPACKLost || x.Reason == ReasonJoined) && (x.Method != "" || x.Path != "" || x.Status != 0 || x.GRPC) {
				t.Fatalf("values without a known table: %+v", x)
			}
			if p.joined && !x.Incomplete { // (a joined connection that showed its preface is not)
				t.Fatalf("complete exchange on a joined connection: %+v", x)
			}
		}
	})
}
