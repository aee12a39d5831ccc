package dnswire

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func hdr(id uint16, flags uint16, qd, an, ns, ar uint16) []byte {
	return []byte{byte(id >> 8), byte(id), byte(flags >> 8), byte(flags), 0, byte(qd), 0, byte(an), 0, byte(ns), 0, byte(ar)}
}

func cat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

var qA = []byte{0, 1, 0, 1}

func TestMalformed(t *testing.T) {
	long := []byte{}
	for range 5 {
		long = append(long, 63)
		long = append(long, strings.Repeat("a", 63)...)
	}
	for _, tc := range []struct {
		name string
		msg  []byte
		why  string
	}{
		{"short", []byte{1, 2, 3}, errShort},
		{"compression loop", cat(hdr(1, 0x8000, 1, 1, 0, 0), []byte{1, 'a', 0}, qA, []byte{1, 'b', 0xc0, 19}, qA, make([]byte, 6)), errPtrLoop},
		{"pointer forward", cat(hdr(1, 0, 1, 0, 0, 0), []byte{0xc0, 20, 0}, qA, make([]byte, 8)), errPointer},
		{"pointer into header", cat(hdr(1, 0, 1, 0, 0, 0), []byte{0xc0, 2}, qA), errPointer},
		{"pointer out of bounds", cat(hdr(1, 0x8000, 1, 1, 0, 0), []byte{1, 'a', 0}, qA, []byte{0xff, 0xff}, qA, make([]byte, 6)), errPointer},
		{"label past the end", cat(hdr(1, 0, 1, 0, 0, 0), []byte{40, 'a', 'b'}, qA), errRecordSpill},
		{"extended label type", cat(hdr(1, 0, 1, 0, 0, 0), []byte{0x41, 'a', 0}, qA), errLabel},
		{"name too long", cat(hdr(1, 0, 1, 0, 0, 0), long, []byte{0}, qA), errNameLen},
		{"rdlength beyond message", cat(hdr(1, 0x8000, 1, 1, 0, 0), []byte{1, 'a', 0}, qA, []byte{0xc0, 12}, qA, []byte{0, 0, 0, 60, 0, 200, 1}), errRecordSpill},
		{"more records than bytes", cat(hdr(1, 0x8000, 1, 9, 0, 0), []byte{1, 'a', 0}, qA), errCount},
		{"counts more records than present", cat(hdr(1, 0x8000, 1, 2, 0, 0), []byte{1, 'a', 0}, qA, []byte{0xc0, 12}, qA, []byte{0, 0, 0, 60, 0, 1, 1}, make([]byte, 10)), errRecordSpill},
		{"two questions", cat(hdr(1, 0, 2, 0, 0, 0), []byte{1, 'a', 0}, qA, []byte{1, 'b', 0}, qA), errCount},
		{"no question in a query", cat(hdr(1, 0, 0, 0, 0, 0), make([]byte, 8)), errCount},
		{"opcode 3", cat(hdr(1, 3<<11, 1, 0, 0, 0), []byte{1, 'a', 0}, qA), errOpcode},
		{"query with answers", cat(hdr(1, 0, 1, 1, 0, 0), []byte{1, 'a', 0}, qA, make([]byte, 11)), errQuery},
		{"type 0", cat(hdr(1, 0, 1, 0, 0, 0), []byte{1, 'a', 0}, []byte{0, 0, 0, 1}), errQType},
		{"class 9", cat(hdr(1, 0, 1, 0, 0, 0), []byte{1, 'a', 0}, []byte{0, 1, 0, 9}), errQType},
		{"question cut by the message end", cat(hdr(1, 0, 1, 0, 0, 0), []byte{1, 'a', 0}, []byte{0, 1}), errRecordSpill},
		{"tls", []byte("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), errQuery},
	} {
		var m message
		if why := parse(tc.msg, len(tc.msg), &m); why != tc.why {
			t.Errorf("%s: got %q, want %q", tc.name, why, tc.why)
		}
		u := NewUDP(func(x Exchange) { t.Errorf("%s: emitted %+v", tc.name, x) })
		u.Datagram(out, tc.msg, len(tc.msg), 1, 2)
		if u.Stats.Errors[tc.why] != 1 {
			t.Errorf("%s: not counted: %v", tc.name, u.Stats.Errors)
		}
	}
}

func TestNames(t *testing.T) {
	for _, tc := range []struct{ wire, want string }{
		{"\x00", "."},
		{"\x03WwW\x07Example\x03com\x00", "www.example.com"},
		{"\x04_srv\x04_tcp\x00", "_srv._tcp"},
		{"\x03a.b\x02c\\\x00", `a\.b.c\\`},
		{"\x02\x00\xff\x00", `\000\255`},
	} {
		var m message
		msg := cat(hdr(1, 0, 1, 0, 0, 0), []byte(tc.wire), qA)
		if why := parse(msg, len(msg), &m); why != "" {
			t.Fatalf("%q: %s", tc.wire, why)
		}
		if got := presentation(m.q.name[:m.q.n]); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.wire, got, tc.want)
		}
	}
	// The longest name with escapes is cut to 255 bytes, between characters.
	var wire []byte
	for range 4 {
		wire = append(wire, 62)
		wire = append(wire, strings.Repeat("\x01", 62)...)
	}
	wire = append(wire, 0)
	got := presentation(wire)
	if len(got) > 255 || len(got) < 250 || !strings.HasSuffix(got, `\001`) {
		t.Fatalf("%d %q", len(got), got)
	}
	if _, ok := dns.IsDomainName(got); !ok {
		t.Fatalf("not a domain name: %q", got)
	}
}

func TestDetect(t *testing.T) {
	q, r := query(1, "d.test.", dns.TypeA), reply(1, "d.test.", dns.TypeA, 0, 1)
	for _, tc := range []struct {
		data        []byte
		tcp         bool
		isQuery, ok bool
	}{
		{q, false, true, true},
		{r, false, false, true},
		{r[:25], false, false, true}, // question captured, answer cut
		{q[:20], false, false, false},
		{append([]byte{0, byte(len(q))}, q...), true, true, true},
		{append([]byte{0, byte(len(r))}, r[:30]...), true, false, true},
		{q, true, false, false}, // no length prefix
		{[]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), false, false, false},
		{[]byte("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03"), true, false, false},
	} {
		isQ, ok := Detect(tc.data, tc.tcp)
		if isQ != tc.isQuery || ok != tc.ok {
			t.Errorf("Detect(%q, %v) = %v, %v; want %v, %v", tc.data, tc.tcp, isQ, ok, tc.isQuery, tc.ok)
		}
	}
}

func TestNamesTables(t *testing.T) {
	if TypeName(65) != "HTTPS" || TypeName(64) != "SVCB" || TypeName(4242) != "TYPE4242" || RCodeName(3) != "NXDOMAIN" || RCodeName(15) != "RCODE15" {
		t.Fatal("names")
	}
	for code, name := range typeNames {
		if dns.TypeToString[code] != name {
			t.Errorf("type %d: %s, miekg/dns says %s", code, name, dns.TypeToString[code])
		}
	}
}
