package dnswire

import (
	"testing"

	"github.com/miekg/dns"
	"github.com/vigil-dev/vigil/internal/reassembly"
)

// checkExchange states what any emitted exchange must satisfy.
func checkExchange(t *testing.T, x Exchange) {
	if x.Name == "" || len(x.Name) > 255 {
		t.Fatalf("name length %d: %+v", len(x.Name), x)
	}
	for i := 0; i < len(x.Name); i++ {
		if c := x.Name[i]; c >= 'A' && c <= 'Z' || c < ' ' || c >= 0x7f {
			t.Fatalf("name %q is not lower-case presentation form", x.Name)
		}
	}
	if _, ok := dns.IsDomainName(x.Name); !ok {
		t.Fatalf("name %q is not a domain name", x.Name)
	}
	if x.Type == "" || (x.RCode == "") != x.Incomplete || x.Answers < 0 || x.RequestBytes < 12 {
		t.Fatalf("bad exchange %+v", x)
	}
	if !x.Incomplete && x.ResponseBytes < 12 {
		t.Fatalf("bad response size %+v", x)
	}
}

// udpSeeds encodes the recorded datagrams of each conn as fuzz input:
// records of dir (1 byte), length (2 bytes), bytes.
func udpSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	byConn := map[string][]byte{}
	var order []string
	for _, f := range []string{"dig.jsonl", "goresolver.jsonl"} {
		for _, r := range loadFixture(t, f) {
			if r.Transport != "udp" {
				continue
			}
			if _, ok := byConn[f+r.Conn]; !ok {
				order = append(order, f+r.Conn)
			}
			byConn[f+r.Conn] = append(byConn[f+r.Conn], append([]byte{byte(r.dir()), byte(r.Size >> 8), byte(r.Size)}, r.Data...)...)
		}
	}
	for _, c := range order {
		seeds = append(seeds, byConn[c])
	}
	return seeds
}

// FuzzUDP feeds datagrams framed as dir, 2-byte length, bytes; cut says,
// per datagram, how much of it the capture kept.
func FuzzUDP(f *testing.F) {
	for i, s := range udpSeeds(f) {
		f.Add(s, []byte{0xff, byte(20 + i)})
	}
	f.Fuzz(func(t *testing.T, data, cut []byte) {
		u := NewUDP(func(x Exchange) { checkExchange(t, x) })
		ts := uint64(0)
		for i := 0; len(data) >= 3; i++ {
			dir := reassembly.Direction(data[0] & 1)
			n := min(int(data[1])<<8|int(data[2]), len(data)-3)
			d := data[3 : 3+n]
			data = data[3+n:]
			keep := n
			if len(cut) > 0 && cut[i%len(cut)] != 0xff {
				keep = min(n, int(cut[i%len(cut)])*4)
			}
			u.Datagram(dir, d[:keep], n, ts, ts+1)
			ts += 10
			if i%8 == 7 {
				u.Expire(ts, 50)
			}
		}
		u.Close()
	})
}

// tcpSeeds are the recorded TCP streams, the two directions interleaved
// as recorded: dir (1 byte), length (2 bytes), bytes.
func tcpSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	for _, f := range []string{"dig.jsonl", "goresolver.jsonl"} {
		var s []byte
		for _, r := range loadFixture(t, f) {
			if r.Transport == "tcp" {
				s = append(s, append([]byte{byte(r.dir()), byte(r.Size >> 8), byte(r.Size)}, r.Data[:min(len(r.Data), 300)]...)...)
			}
		}
		seeds = append(seeds, s)
	}
	return seeds
}

// FuzzTCP cuts each recorded chunk into pieces by script: per piece, low
// 6 bits its length, bit 6 lost bytes before it, bit 7 an uncaptured tail.
func FuzzTCP(f *testing.F) {
	for i, s := range tcpSeeds(f) {
		f.Add(s, []byte{0x3f, byte(i)}, i == 1)
		f.Add(s, []byte{0x01, 0x21, 0x85, 0x3f}, false)
	}
	f.Fuzz(func(t *testing.T, data, script []byte, joined bool) {
		p := NewTCPParser(func(x Exchange) { checkExchange(t, x) }, joined)
		ts, k := uint64(0), 0
		for len(data) >= 3 {
			dir := reassembly.Direction(data[0] & 1)
			n := min(int(data[1])<<8|int(data[2]), len(data)-3)
			chunk := data[3 : 3+n]
			data = data[3+n:]
			for len(chunk) > 0 {
				op := byte(0x3f)
				if len(script) > 0 {
					op = script[k%len(script)]
				}
				k++
				m := min(int(op&0x3f)+1, len(chunk))
				pc := reassembly.Piece{Data: chunk[:m], Start: ts, End: ts + 1}
				if op&0x40 != 0 {
					pc.Lost = uint64(op & 0x0f)
				}
				if op&0x80 != 0 && m > 3 {
					pc.Data, pc.Skipped = pc.Data[:3], m-3
				}
				p.Feed(dir, pc)
				chunk = chunk[m:]
				ts += 10
			}
		}
		p.Expire(ts, 5)
		p.Close()
	})
}
