package httpwire

import "testing"

func TestParseHeadFields(t *testing.T) {
	cases := []struct {
		name string
		in   string
		req  bool
		ok   bool
		want head
	}{
		{name: "request", req: true, ok: true,
			in:   "GET /a?b=1 HTTP/1.1\r\nHOST: h:80\r\nTraceParent:  00-x-y-01 \r\ntracestate:k=v\r\nX-Host: no\r\nHost : no\r\n\r\n",
			want: head{method: "GET", target: "/a?b=1", version: "1.1", host: "h:80", traceparent: "00-x-y-01", tracestate: "k=v", contentLength: -1}},
		{name: "last host wins", req: true, ok: true, in: "PUT / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n",
			want: head{method: "PUT", target: "/", version: "1.0", host: "b", contentLength: -1, connClose: true}},
		{name: "response", ok: true,
			in:   "HTTP/1.1 200 OK\r\ncontent-length: +27\r\nConnection: Upgrade, keep-alive\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n",
			want: head{version: "1.1", status: 200, contentLength: 27, upgrade: true, chunked: true}},
		{name: "minus zero length", ok: true, in: "HTTP/1.1 204 x\r\nContent-Length: -0\r\n\r\n",
			want: head{version: "1.1", status: 204}},
		{name: "negative length", in: "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"},
		{name: "length overflow", in: "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n"},
		{name: "signed status", in: "HTTP/1.1 +99 OK\r\n\r\n"},
		{name: "colon elsewhere", ok: true, in: "HTTP/1.1 200 OK\r\ncontent:length: x\r\n: y\r\n\r\n",
			want: head{version: "1.1", status: 200, contentLength: -1}},
	}
	for _, c := range cases {
		got, ok := parseHead([]byte(c.in), c.req)
		if ok != c.ok || ok && got != c.want {
			t.Errorf("%s: %+v %v, want %+v %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

func TestHeadEnd(t *testing.T) {
	for _, c := range []struct {
		in         string
		from, want int
	}{
		{"a\r\n\r\nb", 0, 5},
		{"a\n\nb\r\n\r\n", 0, 8}, // CRLFCRLF wins wherever it is
		{"a\n\nb", 0, 3},
		{"a\r\n\r", 0, -1},
		{"a\r\n\r\n", 4, 5}, // the search starts 3 bytes back
		{"\r\n\r\n", 3, 4},
	} {
		if got := headEnd([]byte(c.in), c.from); got != c.want {
			t.Errorf("headEnd(%q, %d) = %d, want %d", c.in, c.from, got, c.want)
		}
	}
}
