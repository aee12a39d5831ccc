package ingest

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/span"
)

// TestHostCacheMatchesRouter checks that the routes remembered per
// (method, host) give the same answer as matching every expression.
func TestHostCacheMatchesRouter(t *testing.T) {
	rt, err := newRouter([]Route{
		{API: "stripe", Operation: "create charge", Method: "^POST$", Host: `stripe\.com$`, Path: "^/v1/charges"},
		{API: "stripe", Operation: "other", Host: `stripe\.com$`},
		{API: "github", Method: "GET|PUT", Host: `^api\.github\.com$`, Path: `/pulls$`},
		{API: "any-admin", Path: `^/admin`},
	})
	if err != nil {
		t.Fatal(err)
	}
	var c hostCache
	for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
		for _, h := range []string{"api.stripe.com", "stripe.com.evil", "api.github.com", "10.0.0.5:8080", "[::1]:80"} {
			for _, p := range []string{"/", "/v1/charges", "/v1/charges/ch_1", "/repos/a/b/pulls", "/admin/x", "/x/admin"} {
				wantAPI, wantOp, wantOK := rt.match(m, h, p)
				r, ok := c.get(m, h, rt).match(p)
				var api, op string
				if ok {
					api, op = r.api, r.operation
				}
				if api != wantAPI || op != wantOp || ok != wantOK {
					t.Errorf("%s %s %s: got %q %q %v, want %q %q %v", m, h, p, api, op, ok, wantAPI, wantOp, wantOK)
				}
			}
		}
	}
	hi := c.get("PUT", "10.0.0.5:8080", rt)
	if hi.name != "PUT 10.0.0.5:8080" || hi.dest != (span.Endpoint{IP: "10.0.0.5", Port: 8080}) {
		t.Errorf("hostInfo = %q %+v", hi.name, hi.dest)
	}
}

func TestHostCacheBounded(t *testing.T) {
	rt, _ := newRouter(nil)
	var c hostCache
	for i := range maxHosts + 10 {
		c.get("GET", fmt.Sprintf("h%d.example", i), rt)
	}
	if len(c.byKey) > maxHosts {
		t.Errorf("cache holds %d entries, more than %d", len(c.byKey), maxHosts)
	}
}

// TestSpanIDsAsSpanPackage checks that the ids built in one allocation are
// those span.IDOf and span.TimeOrderedID give (stable across versions: a
// spool written before replays onto the same rows).
func TestSpanIDsAsSpanPackage(t *testing.T) {
	var ss senders
	ss.node = "node-1"
	snd := ss.get(netip.MustParseAddr("192.0.2.7"))
	for _, seq := range []uint64{0, 1, 1 << 40, ^uint64(0)} {
		recv := time.Date(2026, 11, 23, 1, 2, 3, 456789012, time.UTC)
		start := recv.Add(-1500 * time.Microsecond)
		nanos := uint64(recv.UnixNano())
		id, spanID, traceID := spanIDs(snd, start, nanos, seq)
		wantSpan := span.IDOf("node-1/192.0.2.7", nanos, seq)
		if spanID != wantSpan {
			t.Errorf("span id %q, want %q", spanID, wantSpan)
		}
		if want := span.TimeOrderedID(start, wantSpan); id != want {
			t.Errorf("id %q, want %q", id, want)
		}
		if want := span.IDOf("trace/192.0.2.7", nanos, seq) + wantSpan; traceID != want {
			t.Errorf("trace id %q, want %q", traceID, want)
		}
	}
}
