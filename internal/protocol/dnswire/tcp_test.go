package dnswire

import (
	"testing"

	"github.com/miekg/dns"
	"github.com/vigil-dev/vigil/internal/reassembly"
)

func framed(b []byte) []byte { return append([]byte{byte(len(b) >> 8), byte(len(b))}, b...) }

func TestTCP(t *testing.T) {
	q1, q2 := framed(query(1, "a.test.", dns.TypeA)), framed(query(2, "a.test.", dns.TypeAAAA))
	r1, r2 := framed(reply(1, "a.test.", dns.TypeA, 0, 1)), framed(reply(2, "a.test.", dns.TypeAAAA, 0, 0))
	pc := func(b []byte, ts uint64) reassembly.Piece { return reassembly.Piece{Data: b, Start: ts, End: ts + 1} }
	for _, tc := range []struct {
		name   string
		joined bool
		feed   func(p *TCPParser)
		want   string
		errs   map[string]uint64
	}{
		{"pipelined, answered out of order, responses in one read", false, func(p *TCPParser) {
			p.Feed(out, pc(append(append([]byte{}, q1...), q2...), 1))
			p.Feed(in, pc(append(append([]byte{}, r2...), r1...), 5))
		}, "a.test AAAA NOERROR;a.test A NOERROR;", nil},
		{"length and message in separate syscalls, byte by byte", false, func(p *TCPParser) {
			for i := range q1 {
				p.Feed(out, pc(q1[i:i+1], uint64(i)))
			}
			p.Feed(in, pc(r1[:2], 100))
			p.Feed(in, pc(r1[2:], 101))
		}, "a.test A NOERROR;", nil},
		{"response body lost: framing kept by count", false, func(p *TCPParser) {
			p.Feed(out, pc(q1, 1))
			p.Feed(out, pc(q2, 2))
			p.Feed(in, reassembly.Piece{Data: r1[:30], Skipped: len(r1) - 30, Start: 5, End: 6})
			p.Feed(in, pc(r2[:2], 7))
			p.Feed(in, reassembly.Piece{Lost: uint64(len(r2) - 7), Data: r2[len(r2)-5:], Start: 8, End: 9})
			q3, r3 := framed(query(3, "c.test.", dns.TypeTXT)), framed(reply(3, "c.test.", dns.TypeTXT, 0, 0))
			p.Feed(out, pc(q3, 10))
			p.Feed(in, pc(r3, 11))
		}, "a.test A NOERROR;c.test TXT NOERROR;a.test AAAA  incomplete:connection closed before the response;", map[string]uint64{ReasonHeadNotCaptured: 1}},
		{"loss across a length: resync at the next message", false, func(p *TCPParser) {
			p.Feed(out, pc(q1, 1))
			p.Feed(out, pc(q2, 2))
			p.Feed(in, reassembly.Piece{Lost: uint64(len(r1) + 1), Data: r2[1:], Start: 5, End: 6})
			p.Feed(in, pc(r2, 7)) // a plausible start: taken as a message
		}, "a.test AAAA NOERROR;a.test A  incomplete:connection closed before the response;", map[string]uint64{ReasonFramingLost: 1}},
		{"joined mid-way: first bytes inside a message", true, func(p *TCPParser) {
			p.Feed(out, pc(q1[5:], 1))
			p.Feed(in, pc(r1[5:], 2))
			p.Feed(out, pc(q2[:2], 3)) // a length read on its own
			p.Feed(out, pc(q2[2:], 4))
			p.Feed(in, pc(r2, 5))
		}, "a.test AAAA NOERROR;", nil},
		{"not dns", false, func(p *TCPParser) {
			p.Feed(out, pc([]byte("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03"), 1))
			p.Feed(out, pc(make([]byte, 0x1603), 1))
			p.Feed(out, pc(q1, 2))
			p.Feed(in, pc(r1, 3))
		}, "", map[string]uint64{errCount: 1, ReasonNotDNS: 1}},
		{"closed mid-message", false, func(p *TCPParser) {
			p.Feed(out, pc(q1[:10], 1))
		}, "", map[string]uint64{ReasonClosedMidMessage: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []Exchange
			p := NewTCPParser(func(x Exchange) { got = append(got, x) }, tc.joined)
			tc.feed(p)
			p.Close()
			if s := summary(got); s != tc.want {
				t.Errorf("got %q, want %q", s, tc.want)
			}
			if len(p.Stats.Errors) != len(tc.errs) {
				t.Errorf("errors %v, want %v", p.Stats.Errors, tc.errs)
			}
			for k, v := range tc.errs {
				if p.Stats.Errors[k] != v {
					t.Errorf("errors %v, want %v", p.Stats.Errors, tc.errs)
				}
			}
			for _, x := range got {
				if x.Transport != "tcp" || (!x.Incomplete && x.ResponseBytes < 14) {
					t.Errorf("%+v", x)
				}
			}
		})
	}
}
