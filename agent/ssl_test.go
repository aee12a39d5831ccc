package agent

import (
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigil-dev/vigil/internal/span"
)

func TestMappedLibSSL(t *testing.T) {
	cases := []struct {
		name string
		maps string
		want []string
	}{
		{"system openssl 3, mapped in several segments", `
7f1a00000000-7f1a0001c000 r--p 00000000 fd:01 1234 /usr/lib/x86_64-linux-gnu/libssl.so.3
7f1a0001c000-7f1a00079000 r-xp 0001c000 fd:01 1234 /usr/lib/x86_64-linux-gnu/libssl.so.3
7f1a00100000-7f1a00200000 r-xp 00000000 fd:01 1235 /usr/lib/x86_64-linux-gnu/libcrypto.so.3`,
			[]string{"/usr/lib/x86_64-linux-gnu/libssl.so.3"}},
		{"openssl 1.1 and an unversioned copy", `
7f1a00000000-7f1a0001c000 r-xp 00000000 fd:01 1 /opt/app/lib/libssl.so.1.1
7f1a00000000-7f1a0001c000 r-xp 00000000 fd:01 2 /venv/lib/libssl.so`,
			[]string{"/opt/app/lib/libssl.so.1.1", "/venv/lib/libssl.so"}},
		{"NSS, deleted files, anonymous maps, a space in the path", `
7f1a00000000-7f1a0001c000 r-xp 00000000 fd:01 1 /usr/lib/x86_64-linux-gnu/libssl3.so
7f1a00000000-7f1a0001c000 r-xp 00000000 00:00 0 [heap]
7f1a00000000-7f1a0001c000 rw-p 00000000 00:00 0
7f1a00000000-7f1a0001c000 r-xp 00000000 fd:01 3 /my apps/libssl.so.3`,
			[]string{"/my apps/libssl.so.3"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := mappedLibSSL(strings.NewReader(strings.TrimSpace(tc.maps)))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDetectTLS(t *testing.T) {
	cases := []struct {
		name     string
		data     string
		ok, sure bool
	}{
		{"client hello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc", true, true},
		{"application data, TLS 1.2 version", "\x17\x03\x03\x00\x45", true, true},
		{"alert", "\x15\x03\x03\x00\x02\x02\x28", true, true},
		{"too few bytes yet", "\x16\x03", true, false},
		{"empty", "", false, false},
		{"http", "GET / HTTP/1.1\r\n", false, true},
		{"ssl 2 style version", "\x16\x02\x00\x00\x10", false, true},
		{"record length zero", "\x16\x03\x01\x00\x00", false, true},
		{"record longer than TLS allows", "\x17\x03\x03\x50\x00", false, true},
		{"redis", "*1\r\n$4\r\nPING\r\n", false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ok, sure := detectTLS([]byte(tc.data))
			if ok != tc.ok || sure != tc.sure {
				t.Errorf("detectTLS(%q) = %v, %v, want %v, %v", tc.data, ok, sure, tc.ok, tc.sure)
			}
		})
	}
}

// TestTrackerFollowsPlaintext replays what the kernel sends for a TLS
// client connection: the handshake's ciphertext, then plaintext events
// (flagTLS, their own offsets) interleaved with ciphertext sent before the
// kernel knew the connection as TLS. Only the plaintext makes the span.
func TestTrackerFollowsPlaintext(t *testing.T) {
	procs, _ := NewProcesses("/proc", nil)
	m := NewMetrics(prometheus.NewRegistry(), nil)
	var got []span.Span
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tr := newTracker(trackerOptions{node: "test", procs: procs, clock: newClock(), metrics: m, log: log, batchSize: 1,
		submit: func(b []span.Span) { got = append(got, b...) }, newBatch: func(n int) []span.Span { return make([]span.Span, 0, n) }, forget: func(uint32) {}})
	plain := func(e []byte) []byte { e[2] = flagTLS; return e }
	const conn = 7
	req := "GET /secret HTTP/1.1\r\nHost: x\r\n\r\n"
	resp := "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"
	events := [][]byte{
		rawData(1, 4242, 5, conn, 0, 100, "\x16\x03\x01\x00\x05hello"),                     // ClientHello
		rawData(0, 4242, 5, conn, 0, 200, "\x16\x03\x03\x00\x04helo\x17\x03\x03\x00\x01x"), // ServerHello...
		plain(rawData(1, 4242, 5, conn, 0, 300, req)),
		rawData(1, 4242, 5, conn, 10, 300, "\x17\x03\x03\x00\x20GET / HTTP/1.1\r\n\r\n"), // late ciphertext
		plain(rawData(0, 4242, 5, conn, 0, 400, resp)),
	}
	for _, e := range events {
		tr.handle(e)
	}
	tr.closeAll()
	tr.flush()
	if len(got) != 1 {
		t.Fatalf("got %d spans, want 1", len(got))
	}
	if s := got[0]; s.HTTP.Request.Path != "/secret" || s.HTTP.Response.StatusCode != 201 || s.Span.Kind != span.KindClient {
		t.Errorf("span %s %s status %d", s.Span.Kind, s.Span.Name, s.HTTP.Response.StatusCode)
	}
	if n := testutil.ToFloat64(m.TLSConns.WithLabelValues("plaintext")); n != 1 {
		t.Errorf("%v plaintext connections, want 1", n)
	}
	if n := testutil.ToFloat64(m.Unknown.WithLabelValues("0")); n != 0 {
		t.Errorf("%v unknown-protocol connections, want 0", n)
	}
}

func TestInCgroups(t *testing.T) {
	chosen := []Cgroup{{Path: "/sys/fs/cgroup/system.slice/shop.service"}, {Path: "/sys/fs/cgroup/memory/myapp"}}
	cases := []struct {
		path string
		want bool
	}{
		{"/system.slice/shop.service", true},
		{"/myapp", true},
		{"/system.slice/cart.service", false},
		{"/", false},
		{"", false},
		{"/service", false}, // not a whole path element
	}
	for _, tc := range cases {
		if got := inCgroups(tc.path, chosen); got != tc.want {
			t.Errorf("inCgroups(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}
