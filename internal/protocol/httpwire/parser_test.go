package httpwire

import (
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-dev/vigil/internal/reassembly"
)

// wire is a scripted connection: each step is one syscall in a direction,
// with its captured head and the count of bytes not captured.
type wire struct {
	dir     reassembly.Direction
	data    string
	skipped int
	lost    uint64
}

func feed(t testing.TB, joined bool, steps []wire) ([]Exchange, *Parser) {
	var got []Exchange
	p := NewParser(func(x Exchange) { got = append(got, x) }, joined)
	for i, s := range steps {
		ts := uint64(i+1) * 1000
		p.Feed(s.dir, reassembly.Piece{Lost: s.lost, Data: []byte(s.data), Skipped: s.skipped, Start: ts, End: ts + 10})
	}
	p.Close(uint64(len(steps)+1) * 1000)
	return got, p
}

const (
	in  = reassembly.Ingress
	out = reassembly.Egress
)

func TestParser(t *testing.T) {
	get := "GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n"
	ok := "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
	cases := []struct {
		name   string
		joined bool
		steps  []wire
		want   []string // "METHOD target status body incomplete"
		state  State
	}{
		{name: "server keep-alive", steps: []wire{{in, get, 0, 0}, {out, ok, 0, 0}, {in, get, 0, 0}, {out, ok, 0, 0}},
			want: []string{"GET /a?x=1 200 5 false", "GET /a?x=1 200 5 false"}, state: StateHTTP},
		{name: "client", steps: []wire{{out, get, 0, 0}, {in, ok, 0, 0}}, want: []string{"GET /a?x=1 200 5 false"}},
		// Events are queued as calls end: a client's write can end after
		// its other thread read the answer, so the answer arrives first.
		{name: "answer queued before its request", steps: []wire{{out, get, 0, 0}, {in, ok, 0, 0},
			{in, strings.Replace(ok, "200 OK", "404 Not Found", 1), 0, 0}, {out, strings.Replace(get, "/a?x=1", "/b", 1), 0, 0},
			{out, strings.Replace(get, "/a?x=1", "/c", 1), 0, 0}, {in, strings.Replace(ok, "200 OK", "503 Busy", 1), 0, 0}},
			want: []string{"GET /a?x=1 200 5 false", "GET /b 404 5 false", "GET /c 503 5 false"}},
		{name: "joined: an answer first has no request", joined: true, steps: []wire{{in, ok, 0, 0}, {out, get, 0, 0}, {in, ok, 0, 0}},
			want: []string{"GET /a?x=1 200 5 false"}},
		{name: "two answers without a request", steps: []wire{{out, get, 0, 0}, {in, ok, 0, 0}, {in, ok, 0, 0}, {in, ok, 0, 0}},
			want: []string{"GET /a?x=1 200 5 false"}},
		{name: "pipelined", steps: []wire{{in, get + strings.Replace(get, "/a?x=1", "/b", 1), 0, 0}, {out, ok + strings.Replace(ok, "200 OK", "404 Not Found", 1), 0, 0}},
			want: []string{"GET /a?x=1 200 5 false", "GET /b 404 5 false"}},
		{name: "chunked", steps: []wire{{in, get, 0, 0}, {out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n", 0, 0},
			{out, "3\r\nabc\r\n0\r\nTrailer: x\r\n\r\n", 0, 0}}, want: []string{"GET /a?x=1 200 8 false"}},
		{name: "body not captured", steps: []wire{{in, get, 0, 0}, {out, "HTTP/1.1 200 OK\r\nContent-Length: 70000\r\n\r\nxxxx", 69996, 0}},
			want: []string{"GET /a?x=1 200 70000 false"}},
		{name: "body lost then next", steps: []wire{{in, get, 0, 0}, {out, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nxx", 0, 0}, {out, "", 0, 8}, {in, get, 0, 0}, {out, ok, 0, 0}},
			want: []string{"GET /a?x=1 200 10 false", "GET /a?x=1 200 5 false"}},
		{name: "100 continue", steps: []wire{{in, "POST /u HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n", 0, 0}, {out, "HTTP/1.1 100 Continue\r\n\r\n", 0, 0},
			{in, "abc", 0, 0}, {out, ok, 0, 0}}, want: []string{"POST /u 200 5 false"}},
		{name: "HEAD has no body", steps: []wire{{in, "HEAD / HTTP/1.1\r\n\r\n", 0, 0}, {out, "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", 0, 0}, {in, get, 0, 0}, {out, ok, 0, 0}},
			want: []string{"HEAD / 200 0 false", "GET /a?x=1 200 5 false"}},
		{name: "204 and 304", steps: []wire{{in, get, 0, 0}, {out, "HTTP/1.1 204 No Content\r\n\r\n", 0, 0}, {in, get, 0, 0}, {out, "HTTP/1.1 304 Not Modified\r\n\r\n", 0, 0}},
			want: []string{"GET /a?x=1 204 0 false", "GET /a?x=1 304 0 false"}},
		{name: "until close", steps: []wire{{in, "GET / HTTP/1.0\r\n\r\n", 0, 0}, {out, "HTTP/1.0 200 OK\r\n\r\nabc", 0, 0}, {out, "def", 0, 0}},
			want: []string{"GET / 200 6 false"}},
		{name: "upgrade", steps: []wire{{in, "GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", 0, 0}, {out, "HTTP/1.1 101 Switching Protocols\r\n\r\n", 0, 0}, {in, "\x81\x05hello", 0, 0}},
			want: []string{"GET /ws 101 0 false"}, state: StateUpgraded},
		{name: "closed before response", steps: []wire{{in, get, 0, 0}}, want: []string{"GET /a?x=1 0 0 true"}},
		{name: "tiny writes", steps: splitEvery(in, get, 1), want: []string{"GET /a?x=1 0 0 true"}},
		{name: "garbage", steps: []wire{{in, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 0, 0}, {out, ok, 0, 0}}, state: StateNotHTTP},
		{name: "http/2 preface", steps: []wire{{out, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x12\x04", 0, 0}, {in, "\x00\x00\x06\x04\x00", 0, 0}}, state: StateNotHTTP},
		{name: "joined mid-body", joined: true, steps: []wire{{out, "tail of a body", 0, 0}, {in, get, 0, 0}, {out, ok, 0, 0}},
			want: []string{"GET /a?x=1 200 5 false"}},
		{name: "joined at a response", joined: true, steps: []wire{{out, ok, 0, 0}, {in, get, 0, 0}, {out, ok, 0, 0}},
			want: []string{"GET /a?x=1 200 5 false"}},
		{name: "head gap, terminator captured later", steps: []wire{{in, "GET /big HTTP/1.1\r\nCookie: aaaa", 3000, 0}, {in, "aaaa\r\nAccept: */*\r\n\r\n", 0, 0}, {out, ok, 0, 0}},
			want: []string{"GET /big 200 5 true"}},
		{name: "request head gap ended by the response", steps: []wire{{in, "GET /big HTTP/1.1\r\nCookie: aaaa", 3000, 0}, {out, ok, 0, 0}, {in, get, 0, 0}, {out, ok, 0, 0}},
			want: []string{"GET /big 200 5 true", "GET /a?x=1 200 5 false"}},
		{name: "response head gap ended by the next response", steps: []wire{{out, get, 0, 0}, {out, get, 0, 0}, {in, "HTTP/1.1 200 OK\r\nSet-Cookie: x", 5000, 0}, {in, ok, 0, 0}},
			want: []string{"GET /a?x=1 200 0 true", "GET /a?x=1 200 5 false"}},
		{name: "chunk framing not captured", steps: []wire{{out, get, 0, 0}, {in, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", 900, 0}, {out, get, 0, 0}, {in, ok, 0, 0}},
			want: []string{"GET /a?x=1 200 0 true", "GET /a?x=1 200 5 false"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, p := feed(t, tc.joined, tc.steps)
			var gotS []string
			for _, x := range got {
				gotS = append(gotS, strings.Join([]string{x.Method, x.Target, itoa(x.Status), itoa(int(x.ResponseBodyBytes)), boolS(x.Incomplete)}, " "))
			}
			if strings.Join(gotS, "|") != strings.Join(tc.want, "|") {
				t.Errorf("exchanges\n got %q\nwant %q", gotS, tc.want)
			}
			if tc.state != StateDetecting && p.State() != tc.state {
				t.Errorf("state %s, want %s", p.State(), tc.state)
			}
		})
	}
}

func TestExchangeSizesAndTimes(t *testing.T) {
	req := "POST /p HTTP/1.1\r\nContent-Length: 4\r\ntraceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n\r\n"
	got, _ := feed(t, false, []wire{{in, req, 0, 0}, {in, "body", 0, 0}, {out, "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", 0, 0}})
	if len(got) != 1 {
		t.Fatalf("got %d exchanges", len(got))
	}
	x := got[0]
	if x.RequestBytes != int64(len(req)+4) || x.RequestBodyBytes != 4 || x.ResponseBytes != 45 || x.ResponseBodyBytes != 2 {
		t.Errorf("sizes %d/%d %d/%d", x.RequestBytes, x.RequestBodyBytes, x.ResponseBytes, x.ResponseBodyBytes)
	}
	if x.RequestStart != 1000 || x.RequestFirstEnd != 1010 || x.RequestEnd != 2010 || x.ResponseStart != 3000 || x.ResponseEnd != 3010 {
		t.Errorf("times %+v", x)
	}
	if x.Traceparent != "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" || x.RequestDir != in {
		t.Errorf("traceparent %q dir %s", x.Traceparent, x.RequestDir)
	}
}

func splitEvery(dir reassembly.Direction, s string, n int) []wire {
	var w []wire
	for i := 0; i < len(s); i += n {
		w = append(w, wire{dir, s[i:min(i+n, len(s))], 0, 0})
	}
	return w
}

func itoa(n int) string { return strconv.Itoa(n) }

func boolS(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// BenchmarkParser feeds keep-alive exchanges (a 100-byte request, a
// 150-byte response) and reports exchanges per second of one core.
func BenchmarkParser(b *testing.B) {
	req := []byte("GET /api/orders/42?expand=items HTTP/1.1\r\nHost: shop.internal:8080\r\nUser-Agent: Go-http-client/1.1\r\n\r\n")
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: Sun, 22 Nov 2026 20:00:00 GMT\r\nContent-Length: 27\r\n\r\n{\"id\":42,\"status\":\"placed\"}")
	n := 0
	p := NewParser(func(Exchange) { n++ }, false)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ts := uint64(i) * 100
		p.Feed(in, reassembly.Piece{Data: req, Start: ts, End: ts + 10})
		p.Feed(out, reassembly.Piece{Data: resp, Start: ts + 50, End: ts + 60})
	}
	if n != b.N {
		b.Fatalf("%d exchanges for %d requests", n, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "exchanges/s")
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		in            string
		req, ok, sure bool
	}{
		{"GET / HTTP/1.1\r\nHost: x\r\n\r\n", true, true, true},
		{"HTTP/1.1 200 OK\r\n", false, true, true},
		{"GET key\r\n", true, false, true}, // a Redis inline command
		{"GET /", true, true, false},
		{"*1\r\n$4\r\nPING\r\n", false, false, true},
		{"HT", false, false, false},
	} {
		req, ok, sure := Detect([]byte(tc.in))
		if req != tc.req || ok != tc.ok || sure != tc.sure {
			t.Errorf("Detect(%q) = %v %v %v, want %v %v %v", tc.in, req, ok, sure, tc.req, tc.ok, tc.sure)
		}
	}
}

// TestJoinedAnswersCountedApart: on a connection found mid-way, answers to
// requests sent before capture began are expected (the agent restarted)
// and counted under their own reason; an answer without request after the
// first request seen is a mismatch.
func TestJoinedAnswersCountedApart(t *testing.T) {
	get := "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
	ok := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	got, p := feed(t, true, []wire{{in, ok, 0, 0}, {in, ok, 0, 0}, {out, get, 0, 0}, {in, ok, 0, 0}, {in, ok, 0, 0}})
	if len(got) != 1 || got[0].Status != 200 {
		t.Fatalf("exchanges %+v, want one GET /a 200", got)
	}
	want := map[string]uint64{"response to a request from before capture": 2, "response without request": 1}
	for reason, n := range want {
		if p.Stats.Errors[reason] != n {
			t.Errorf("%q counted %d times, want %d (all: %v)", reason, p.Stats.Errors[reason], n, p.Stats.Errors)
		}
	}
}
