package httpwire

import (
	"testing"

	"github.com/vigil-dev/vigil/internal/reassembly"
)

// FuzzParser cuts data into syscalls by script: each script byte gives a
// piece's direction (bit 7), whether bytes were lost before it (bit 6) and
// its length (low bits), and some pieces claim uncaptured tails. Whatever
// the bytes, the parser must not panic and must only emit sane exchanges.
func FuzzParser(f *testing.F) {
	seeds := []string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		"GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 101 Switching Protocols\r\n\r\n\x00\x01",
		"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
		"GET / HTTP/1.0\r\n\r\nHTTP/1.0 200 OK\r\n\r\nuntil close",
	}
	for i, s := range seeds {
		f.Add([]byte(s), []byte{byte(20 + i), 0x85, 0x10, 0xc3, 0x7f, 0x01}, i%2 == 0)
	}
	f.Fuzz(func(t *testing.T, data, script []byte, joined bool) {
		var got []Exchange
		p := NewParser(func(x Exchange) { got = append(got, x) }, joined)
		ts := uint64(0)
		for i := 0; len(data) > 0 && i < 10000; i++ {
			op := byte(0x3f)
			if len(script) > 0 {
				op = script[i%len(script)]
			}
			n := min(int(op&0x3f)+1, len(data))
			dir := reassembly.Direction(op >> 7)
			pc := reassembly.Piece{Data: data[:n], Start: ts, End: ts + 5}
			if op&0x40 != 0 {
				pc.Lost = uint64(op & 0x0f)
			}
			if op&0x20 != 0 && n > 4 {
				pc.Skipped = n - 4
				pc.Data = pc.Data[:4]
			}
			p.Feed(dir, pc)
			data = data[n:]
			ts += 10
		}
		p.Close(ts)
		for _, x := range got {
			if x.Method == "" {
				t.Fatalf("exchange without a method: %+v", x)
			}
			if x.RequestBytes < 0 || x.ResponseBytes < 0 || x.RequestBodyBytes < 0 || x.ResponseBodyBytes < 0 {
				t.Fatalf("negative size: %+v", x)
			}
			if x.ResponseBodyBytes > x.ResponseBytes || x.RequestBodyBytes > x.RequestBytes {
				t.Fatalf("body larger than the message: %+v", x)
			}
			if x.Status != 0 && (x.Status < 100 || x.Status > 999) {
				t.Fatalf("status %d", x.Status)
			}
		}
	})
}
