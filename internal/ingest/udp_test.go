package ingest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/protocol/datagram"
	"github.com/vigil-dev/vigil/internal/span"
)

// recordingSink keeps every span written, as the spool would take them.
type recordingSink struct {
	mu    sync.Mutex
	spans []span.Span
}

func (r *recordingSink) Write(_ context.Context, batch []span.Span) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.spans = append(r.spans, batch...)
	return nil
}

func (r *recordingSink) all() []span.Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]span.Span(nil), r.spans...)
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startListener runs a listener on a free loopback port until the test ends.
func startListener(t *testing.T, opts DatagramOptions, sink Sink, log *slog.Logger) *DatagramListener {
	t.Helper()
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.BatchInterval == 0 {
		opts.BatchInterval = 20 * time.Millisecond
	}
	l, err := ListenDatagrams(opts, sink, log)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return l
}

func send(t *testing.T, l *DatagramListener, payloads ...string) {
	t.Helper()
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(l.Addr()))
	require.NoError(t, err)
	defer conn.Close()
	for _, p := range payloads {
		_, err := conn.Write([]byte(p))
		require.NoError(t, err)
	}
}

// TestDatagramSenders sends each variant real senders produce and checks the
// span each becomes.
func TestDatagramSenders(t *testing.T) {
	sink := &recordingSink{}
	l := startListener(t, DatagramOptions{Service: "shop", Node: "node-1", Routes: []Route{
		{API: "stripe", Operation: "create charge", Method: "^POST$", Host: `^api\.stripe\.com$`, Path: "^/v1/charges$"},
		{API: "stripe", Operation: "other", Host: `stripe\.com$`},
	}}, sink, quietLog())

	cases := []struct {
		name, payload                       string
		method, scheme, host, path, api, op string
		durationUS                          int64
		format                              string
	}{
		{"v0 canonical", "0\tPOST\tapi.stripe.com\t/v1/charges\t12.5\n", "POST", "", "api.stripe.com", "/v1/charges", "stripe", "create charge", 12500, "datagram/0"},
		{"v0 without line feed", "0\tGET\tapi.stripe.com\t/v1/customers\t3", "GET", "", "api.stripe.com", "/v1/customers", "stripe", "other", 3000, "datagram/0"},
		{"v0 spaces instead of tabs", "0 GET example.org /a 7\n", "GET", "", "example.org", "/a", "", "", 7000, "datagram/0"},
		{"v0 host with scheme", "0\tGET\thttps://api.github.com\t/repos\t0.25\n", "GET", "https", "api.github.com", "/repos", "", "", 250, "datagram/0"},
		{"v0 path with query", "0\tGET\tmaps.example.com\t/geo?q=berlin&limit=3\t41\n", "GET", "", "maps.example.com", "/geo?q=berlin&limit=3", "", "", 41000, "datagram/0"},
		{"v1 full url", "1\tpost\thttps://api.stripe.com/v1/charges?expand=x\t100\n", "POST", "https", "api.stripe.com", "/v1/charges?expand=x", "stripe", "create charge", 100000, "datagram/1"},
		{"v1 whole milliseconds crlf", "1\tDELETE\thttp://10.0.0.5:8080/items/7\t2\r\n", "DELETE", "http", "10.0.0.5:8080", "/items/7", "", "", 2000, "datagram/1"},
	}
	for _, tc := range cases {
		send(t, l, tc.payload)
	}
	require.Eventually(t, func() bool { return len(sink.all()) == len(cases) }, 5*time.Second, 10*time.Millisecond)
	got := sink.all()
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sp := got[i]
			require.NoError(t, sp.Validate())
			require.Equal(t, span.KindClient, sp.Span.Kind)
			require.Equal(t, "shop", sp.Service.Name)
			require.Equal(t, "node-1", sp.Service.Node.Name)
			require.Equal(t, tc.method, sp.HTTP.Request.Method)
			require.Equal(t, tc.scheme, sp.HTTP.Request.Scheme)
			require.Equal(t, tc.host, sp.HTTP.Request.Host)
			require.Equal(t, tc.path, sp.HTTP.Request.Path)
			require.Equal(t, tc.durationUS, sp.Span.Duration.US)
			require.Equal(t, tc.format, sp.Vigil.Format)
			require.Equal(t, span.SourceDatagram, sp.Vigil.Source)
			require.Equal(t, "127.0.0.1", sp.Source.IP)
			if tc.api != "" {
				require.Equal(t, &span.ServiceTarget{Name: tc.api, Type: "external_api"}, sp.Service.Target)
				require.Equal(t, tc.op, sp.Span.Action)
			} else {
				require.Equal(t, "http", sp.Service.Target.Type)
				require.Empty(t, sp.Span.Action)
			}
			require.WithinDuration(t, time.Now().Add(-time.Duration(tc.durationUS)*time.Microsecond), sp.Timestamp, 5*time.Second)
		})
	}
	require.Equal(t, "10.0.0.5", got[6].Destination.IP)
	require.Equal(t, 8080, got[6].Destination.Port)
	require.Equal(t, "api.stripe.com", got[0].Destination.Domain)
	ids := map[string]bool{}
	for _, sp := range got {
		require.False(t, ids[sp.ID], "span ids are unique")
		ids[sp.ID] = true
	}
	st := l.Stats()
	require.Equal(t, uint64(len(cases)), st.Received)
	require.Equal(t, uint64(len(cases)), st.Accepted)
}

// TestDatagramRejections counts each bad datagram by reason, logs at most
// one line per reason per interval, and keeps serving.
func TestDatagramRejections(t *testing.T) {
	sink := &recordingSink{}
	var logBuf syncBuffer
	log := slog.New(slog.NewTextHandler(&logBuf, nil))
	l := startListener(t, DatagramOptions{RedactText: func(s string) string { return s }}, sink, log)
	send(t, l,
		"7\tGET\thost\t/\t1\n",           // unknown version
		"0\tGET\thost\t/\n",              // field count
		"0\tGET\thost\t/\tfast\n",        // duration
		"\xff\xfe\x00binary",             // not UTF-8
		"9\tGET\thost\t/\t1\n",           // unknown version again: counted, not logged
		"1\tGET\thttps://ok.example/\t1", // still serving
	)
	require.Eventually(t, func() bool { return len(sink.all()) == 1 }, 5*time.Second, 10*time.Millisecond)
	st := l.Stats()
	require.Equal(t, uint64(6), st.Received)
	require.Equal(t, uint64(1), st.Accepted)
	require.Equal(t, map[datagram.Reason]uint64{
		datagram.ReasonUnknownVersion: 2, datagram.ReasonFieldCount: 1, datagram.ReasonDuration: 1, datagram.ReasonNotUTF8: 1,
	}, st.Rejected)
	out := logBuf.String()
	require.Contains(t, out, `reason=unknown_version`)
	require.Contains(t, out, `datagram version \"7\" is unknown`)
	require.NotContains(t, out, `\"9\"`, "the second rejection of a reason within the interval is not logged")
}

// TestDatagramFlood sends 100,000 datagrams. Paced below the socket's
// capacity, every one arrives and becomes a span; blasted into a tiny
// buffer, what the kernel dropped is counted, so received + dropped = sent.
func TestDatagramFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("flood test skipped with -short")
	}
	const total = 100_000
	t.Run("paced", func(t *testing.T) {
		sink := &recordingSink{}
		l := startListener(t, DatagramOptions{Service: "flood"}, sink, quietLog())
		conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(l.Addr()))
		require.NoError(t, err)
		defer conn.Close()
		for i := range total {
			_, err := fmt.Fprintf(conn, "0\tGET\tapi.example.com\t/items/%d\t%d.5\n", i, i%100)
			require.NoError(t, err)
			if i%500 == 499 { // below capacity: let the reader keep up
				waitFor(t, func() bool { return int(l.Stats().Received) >= i+1-2000 })
			}
		}
		require.Eventually(t, func() bool { return len(sink.all()) == total }, 20*time.Second, 20*time.Millisecond)
		st := l.Stats()
		require.Equal(t, uint64(total), st.Received)
		require.Equal(t, uint64(total), st.Accepted)
		require.Zero(t, st.SocketDrops)
	})
	t.Run("blasted into a small buffer", func(t *testing.T) {
		sink := &recordingSink{}
		l := startListener(t, DatagramOptions{Service: "flood", ReadBuffer: 64 << 10}, sink, quietLog())
		conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(l.Addr()))
		require.NoError(t, err)
		defer conn.Close()
		for i := range total {
			_, err := fmt.Fprintf(conn, "0\tGET\tapi.example.com\t/items/%d\t1\n", i)
			require.NoError(t, err)
		}
		// One more after a pause carries the kernel's final drop count.
		time.Sleep(200 * time.Millisecond)
		_, err = fmt.Fprintf(conn, "0\tGET\tapi.example.com\t/last\t1\n")
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			st := l.Stats()
			return st.Received+st.SocketDrops == total+1 && st.Accepted == st.Received // the last one handled too
		}, 20*time.Second, 20*time.Millisecond, "received + dropped = sent: %+v", l.Stats())
		st := l.Stats()
		t.Logf("received %d, dropped by the kernel %d", st.Received, st.SocketDrops)
		require.Equal(t, st.Received, st.Accepted)
		require.Eventually(t, func() bool { return uint64(len(sink.all())) == st.Accepted }, 10*time.Second, 20*time.Millisecond)
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("the listener stopped reading")
		}
		time.Sleep(time.Millisecond)
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
