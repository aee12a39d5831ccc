package agent

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-dev/vigil/internal/span"
)

func TestRouteOf(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/hello", "/hello"},
		{"/users/136022", "/users/{id}"},
		{"/users/136022?expand=cart", "/users/{id}"},
		{"/api/v1/orders/42/items", "/api/v1/orders/{id}/items"},
		{"/carts/3f2b8c1e-9d4a-4c7e-b1a2-0e5f6d7c8b9a", "/carts/{id}"},
		{"/objects/5f8d0d55b54764421b7156c3", "/objects/{id}"},
		{"/products/SKU-000123", "/products/{id}"},
		{"/reports/2026-11-23/daily", "/reports/{id}/daily"},
		{"/download/aZ3kQ9pLm2Xw7Rt5Yb", "/download/{id}"},
		{"/oauth2/callback", "/oauth2/callback"},
		{"/net/ipv6/x86_64", "/net/ipv6/x86_64"},
		{"/deadbeef", "/deadbeef"}, // hex without a digit is a word
		{"/", "/"},
		{"", ""},
		{"*", "*"}, // OPTIONS *
		{"/a//7/", "/a//{id}/"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := routeOf(tt.in); got != tt.want {
				t.Errorf("routeOf(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestAppendRouteDoesNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(100, func() { buf = appendRoute(buf[:0], "/api/v1/orders/42?x=1") }); n != 0 {
		t.Errorf("appendRoute allocated %v times", n)
	}
}

// TestSpanNameIsRoute follows one exchange through the tracker: the
// span's name carries the route, its url.path the path as requested.
func TestSpanNameIsRoute(t *testing.T) {
	var got []span.Span
	sink := SinkFunc(func(_ context.Context, batch []span.Span) error {
		got = append(got, batch...)
		return nil
	})
	procs, _ := NewProcesses("/proc", nil)
	m := NewMetrics(prometheus.NewRegistry(), nil)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ex := newExporter(sink, nil, 16, m, log)
	ex.start(context.Background())
	tr := newTracker(trackerOptions{node: "test", procs: procs, clock: newClock(), metrics: m,
		log: log, batchSize: 16, submit: ex.submit, newBatch: ex.batch, forget: func(uint32) {}})
	req := "GET /users/136022/orders/SKU-000123?expand=items HTTP/1.1\r\nHost: shop\r\n\r\n"
	resp := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	tr.handle(rawOpen(4242, 10, 1, 8080))
	tr.handle(rawData(0, 4242, 10, 1, 0, 1000, req))
	tr.handle(rawData(1, 4242, 10, 1, 0, 5000, resp))
	tr.flush()
	ex.stop()
	if len(got) != 1 {
		t.Fatalf("%d spans, want 1", len(got))
	}
	s := got[0]
	if s.Span.Name != "GET /users/{id}/orders/{id}" {
		t.Errorf("name %q, want the route", s.Span.Name)
	}
	if s.HTTP == nil || s.HTTP.Request.Path != "/users/136022/orders/SKU-000123?expand=items" {
		t.Errorf("HTTP %+v: want the path as requested", s.HTTP)
	}
}
