package dnswire

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/vigil-dev/vigil/internal/reassembly"
)

const (
	out = reassembly.Egress
	in  = reassembly.Ingress
)

func query(id uint16, name string, qtype uint16) []byte {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.Id = id
	m.SetEdns0(1232, false)
	b, err := m.Pack()
	if err != nil {
		panic(err)
	}
	return b
}

func reply(id uint16, name string, qtype uint16, rcode, answers int) []byte {
	q := new(dns.Msg)
	q.SetQuestion(name, qtype)
	q.Id = id
	m := new(dns.Msg)
	m.SetRcode(q, rcode)
	for i := range answers {
		rr, _ := dns.NewRR(name + " 60 IN A 192.0.2." + string(rune('1'+i%9)))
		m.Answer = append(m.Answer, rr)
	}
	b, err := m.Pack()
	if err != nil {
		panic(err)
	}
	return b
}

type dgram struct {
	dir  reassembly.Direction
	data []byte
	ts   uint64
}

// summary renders exchanges compactly for comparison.
func summary(xs []Exchange) string {
	var sb strings.Builder
	for _, x := range xs {
		sb.WriteString(x.Name + " " + x.Type + " " + x.RCode)
		if x.Incomplete {
			sb.WriteString(" incomplete:" + x.Reason)
		}
		sb.WriteString(";")
	}
	return sb.String()
}

func TestUDPMatching(t *testing.T) {
	for _, tc := range []struct {
		name   string
		dgrams []dgram
		expire uint64 // Expire(expire, 1000) after the datagrams when set
		want   string
		errs   map[string]uint64
	}{
		{"parallel A and AAAA answered out of order", []dgram{
			{out, query(1, "Example.COM.", dns.TypeA), 10},
			{out, query(2, "example.com.", dns.TypeAAAA), 11},
			{in, reply(2, "example.com.", dns.TypeAAAA, 0, 0), 20},
			{in, reply(1, "EXAMPLE.com.", dns.TypeA, 0, 2), 21},
		}, 0, "example.com AAAA NOERROR;example.com A NOERROR;", nil},
		{"same id, different question", []dgram{
			{out, query(7, "a.test.", dns.TypeA), 10},
			{out, query(7, "a.test.", dns.TypeAAAA), 11},
			{in, reply(7, "a.test.", dns.TypeAAAA, dns.RcodeNameError, 0), 20},
			{in, reply(7, "b.test.", dns.TypeA, 0, 1), 21}, // spoof/other question: no match
			{in, reply(7, "a.test.", dns.TypeA, 0, 1), 22},
		}, 0, "a.test AAAA NXDOMAIN;a.test A NOERROR;", map[string]uint64{ReasonOrphanResponse: 1}},
		{"late response after expiry", []dgram{
			{out, query(3, "slow.test.", dns.TypeA), 10},
		}, 2000, "slow.test A  incomplete:no response;", nil},
		{"duplicate response", []dgram{
			{out, query(4, "dup.test.", dns.TypeA), 10},
			{in, reply(4, "dup.test.", dns.TypeA, 0, 1), 20},
			{in, reply(4, "dup.test.", dns.TypeA, 0, 1), 21},
		}, 0, "dup.test A NOERROR;", map[string]uint64{ReasonOrphanResponse: 1}},
		{"response without query (joined mid-way)", []dgram{
			{in, reply(5, "x.test.", dns.TypeA, 0, 1), 20},
		}, 0, "", map[string]uint64{ReasonOrphanResponse: 1}},
		{"response in the query's direction is not its response", []dgram{
			{out, query(6, "x.test.", dns.TypeA), 10},
			{out, reply(6, "x.test.", dns.TypeA, 0, 1), 20},
		}, 0, "", map[string]uint64{ReasonOrphanResponse: 1}},
		{"traced process is the server", []dgram{
			{in, query(8, "srv.test.", dns.TypeSRV), 10},
			{out, reply(8, "srv.test.", dns.TypeSRV, dns.RcodeRefused, 0), 20},
		}, 0, "srv.test SRV REFUSED;", nil},
		{"retransmitted query", []dgram{
			{out, query(9, "r.test.", dns.TypeA), 10},
			{out, query(9, "r.test.", dns.TypeA), 500},
			{in, reply(9, "r.test.", dns.TypeA, 0, 1), 510},
		}, 0, "r.test A NOERROR;", map[string]uint64{ReasonRetransmit: 1}},
		{"error response without question matches a unique id", []dgram{
			{out, query(10, "f.test.", dns.TypeA), 10},
			{in, []byte{0, 10, 0x81, 0x01, 0, 0, 0, 0, 0, 0, 0, 0}, 20},
		}, 0, "f.test A FORMERR;", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []Exchange
			u := NewUDP(func(x Exchange) { got = append(got, x) })
			for _, d := range tc.dgrams {
				u.Datagram(d.dir, d.data, len(d.data), d.ts, d.ts+1)
			}
			if tc.expire > 0 {
				u.Expire(tc.expire-1000, 1000) // not yet
				u.Expire(tc.expire, 1000)
				// The late response is dropped.
				u.Datagram(in, reply(3, "slow.test.", dns.TypeA, 0, 1), len(reply(3, "slow.test.", dns.TypeA, 0, 1)), tc.expire+1, tc.expire+2)
				tc.errs = map[string]uint64{ReasonOrphanResponse: 1}
			}
			if s := summary(got); s != tc.want {
				t.Errorf("got %q, want %q", s, tc.want)
			}
			if len(u.Stats.Errors) != len(tc.errs) {
				t.Errorf("errors %v, want %v", u.Stats.Errors, tc.errs)
			}
			for k, v := range tc.errs {
				if u.Stats.Errors[k] != v {
					t.Errorf("errors %v, want %v", u.Stats.Errors, tc.errs)
				}
			}
		})
	}
}

func TestUDPTimesAndSizes(t *testing.T) {
	var got []Exchange
	u := NewUDP(func(x Exchange) { got = append(got, x) })
	q, r := query(1, "t.test.", dns.TypeA), reply(1, "t.test.", dns.TypeA, 0, 3)
	u.Datagram(out, q, len(q), 100, 110)
	u.Datagram(in, r, len(r), 150, 400)
	x := got[0]
	if x.RequestStart != 100 || x.RequestEnd != 110 || x.ResponseStart != 150 || x.ResponseEnd != 400 ||
		x.RequestBytes != int64(len(q)) || x.ResponseBytes != int64(len(r)) || x.Answers != 3 || x.ID != 1 || x.Transport != "udp" {
		t.Fatalf("%+v", x)
	}
}

func TestUDPTooManyInFlight(t *testing.T) {
	var got []Exchange
	u := NewUDP(func(x Exchange) { got = append(got, x) })
	for i := range maxInFlight + 1 {
		q := query(uint16(i), "many.test.", dns.TypeA)
		u.Datagram(out, q, len(q), uint64(i), uint64(i))
	}
	if len(got) != 1 || got[0].ID != 0 || got[0].Reason != ReasonTooManyInFlight || u.InFlight() != maxInFlight {
		t.Fatalf("%d %+v", len(got), got)
	}
	u.Close()
	if len(got) != maxInFlight+1 {
		t.Fatal(len(got))
	}
}

// A capture cut after the question still gives the exchange; the answer
// count comes from the header.
func TestUDPTruncatedCapture(t *testing.T) {
	var got []Exchange
	u := NewUDP(func(x Exchange) { got = append(got, x) })
	name := strings.Repeat("abcdefghi.", 20) + "test."
	q, r := query(1, name, dns.TypeA), reply(1, name, dns.TypeA, 0, 100)
	u.Datagram(out, q, len(q), 1, 2)
	u.Datagram(in, r[:len(q)-11], len(r), 3, 4) // header and question only
	if len(got) != 1 || got[0].Answers != 100 || got[0].Name != strings.TrimSuffix(name, ".") || got[0].ResponseBytes != int64(len(r)) {
		t.Fatalf("%+v", got)
	}
	// Cut inside the question: dropped, counted.
	u.Datagram(out, q[:30], len(q), 5, 6)
	if u.Stats.Errors[ReasonQuestionNotCaught] != 1 || u.InFlight() != 0 {
		t.Fatalf("%v", u.Stats.Errors)
	}
}
