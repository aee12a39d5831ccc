package otlp

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vigil-dev/vigil/internal/span"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

func TestConvertHTTP(t *testing.T) {
	tests := []struct {
		name     string
		kind     tracepb.Span_SpanKind
		attrs    []*commonpb.KeyValue
		http     *span.HTTP
		src, dst span.Endpoint
	}{
		{
			name: "old server conventions",
			kind: tracepb.Span_SPAN_KIND_SERVER,
			attrs: []*commonpb.KeyValue{strAttr("http.method", "PUT"), strAttr("http.target", "/a?b=c"),
				strAttr("http.scheme", "http"), strAttr("http.host", "api.example:8080"), intAttr("http.status_code", 201),
				strAttr("http.flavor", "1.1"), intAttr("http.request_content_length", 10), intAttr("http.response_content_length", 20),
				strAttr("net.peer.ip", "2001:db8::1"), intAttr("net.peer.port", 40000), strAttr("net.host.ip", "10.0.0.1"),
				intAttr("net.host.port", 8080)},
			http: &span.HTTP{Version: "1.1",
				Request:  span.HTTPRequest{Method: "PUT", Scheme: "http", Path: "/a?b=c", Host: "api.example:8080", BodyBytes: 10},
				Response: span.HTTPResponse{StatusCode: 201, BodyBytes: 20}},
			src: span.Endpoint{IP: "2001:db8::1", Port: 40000},
			dst: span.Endpoint{IP: "10.0.0.1", Port: 8080},
		},
		{
			name: "old client conventions with http.url",
			kind: tracepb.Span_SPAN_KIND_CLIENT,
			attrs: []*commonpb.KeyValue{strAttr("http.method", "GET"), strAttr("http.url", "https://u:p@b.example:444/x%20y?q=1#frag"),
				strAttr("http.status_code", "404"), strAttr("net.sock.peer.addr", "192.0.2.1"), intAttr("net.sock.peer.port", 444)},
			http: &span.HTTP{
				Request:  span.HTTPRequest{Method: "GET", Scheme: "https", Path: "/x%20y?q=1", Host: "b.example:444"},
				Response: span.HTTPResponse{StatusCode: 404}},
			dst: span.Endpoint{IP: "192.0.2.1", Port: 444},
		},
		{
			name: "old server net.host.name",
			kind: tracepb.Span_SPAN_KIND_SERVER,
			attrs: []*commonpb.KeyValue{strAttr("http.method", "GET"), strAttr("net.host.name", "h.example"),
				intAttr("net.host.port", 80), strAttr("http.scheme", "http")},
			http: &span.HTTP{Request: span.HTTPRequest{Method: "GET", Scheme: "http", Host: "h.example"}},
			dst:  span.Endpoint{Domain: "h.example", Port: 80},
		},
		{
			name: "current client conventions",
			kind: tracepb.Span_SPAN_KIND_CLIENT,
			attrs: []*commonpb.KeyValue{strAttr("http.request.method", "_OTHER"), strAttr("http.request.method_original", "PURGE"),
				strAttr("url.full", "http://cache.local"), strAttr("server.address", "10.2.3.4"), intAttr("server.port", 8081),
				strAttr("network.protocol.version", "2"), intAttr("http.request.size", 300), intAttr("http.response.size", 400),
				intAttr("http.request.body.size", 100), intAttr("http.response.body.size", 200),
				strAttr("network.local.address", "10.0.0.9"), intAttr("network.local.port", 33333)},
			http: &span.HTTP{Version: "2",
				Request:  span.HTTPRequest{Method: "PURGE", Scheme: "http", Path: "/", Host: "10.2.3.4:8081", Bytes: 300, BodyBytes: 100},
				Response: span.HTTPResponse{Bytes: 400, BodyBytes: 200}},
			src: span.Endpoint{IP: "10.0.0.9", Port: 33333},
			dst: span.Endpoint{IP: "10.2.3.4", Port: 8081},
		},
		{
			name:  "not http",
			kind:  tracepb.Span_SPAN_KIND_CLIENT,
			attrs: []*commonpb.KeyValue{strAttr("db.system", "postgresql"), strAttr("server.address", "db"), intAttr("server.port", 5432)},
			dst:   span.Endpoint{Domain: "db", Port: 5432},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := testSpan()
			s.Kind, s.Attributes = tc.kind, tc.attrs
			got, _ := convertOne(t, s, Limits{})
			require.Equal(t, tc.http, got.HTTP)
			require.Equal(t, tc.src, got.Source)
			require.Equal(t, tc.dst, got.Destination)
		})
	}
}

func TestConvertSubtypeAndTarget(t *testing.T) {
	tests := []struct {
		attrs   []*commonpb.KeyValue
		subtype string
		target  *span.ServiceTarget
	}{
		{[]*commonpb.KeyValue{strAttr("http.request.method", "GET"), strAttr("server.address", "api")}, "http", &span.ServiceTarget{Name: "api", Type: "http"}},
		{[]*commonpb.KeyValue{strAttr("db.system", "redis"), strAttr("peer.service", "cache")}, "redis", &span.ServiceTarget{Name: "cache", Type: "redis"}},
		{[]*commonpb.KeyValue{strAttr("db.system.name", "mysql")}, "mysql", nil},
		{[]*commonpb.KeyValue{strAttr("rpc.system", "grpc"), strAttr("server.address", "svc")}, "grpc", &span.ServiceTarget{Name: "svc", Type: "grpc"}},
		{[]*commonpb.KeyValue{strAttr("messaging.system", "kafka")}, "kafka", nil},
		{nil, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.subtype, func(t *testing.T) {
			s := testSpan()
			s.Kind, s.Attributes = tracepb.Span_SPAN_KIND_CLIENT, tc.attrs
			got, _ := convertOne(t, s, Limits{})
			require.Equal(t, tc.subtype, got.Span.Subtype)
			require.Equal(t, tc.target, got.Service.Target)
		})
	}
}

func TestConvertOutcome(t *testing.T) {
	tests := []struct {
		name    string
		kind    tracepb.Span_SpanKind
		code    tracepb.Status_StatusCode
		status  int64 // HTTP, 0 for none
		outcome string
		otel    string
	}{
		{"ok", tracepb.Span_SPAN_KIND_SERVER, tracepb.Status_STATUS_CODE_OK, 500, span.OutcomeSuccess, "ok"},
		{"error", tracepb.Span_SPAN_KIND_SERVER, tracepb.Status_STATUS_CODE_ERROR, 200, span.OutcomeFailure, "error"},
		{"unset, no http", tracepb.Span_SPAN_KIND_SERVER, tracepb.Status_STATUS_CODE_UNSET, 0, span.OutcomeUnknown, "unset"},
		{"unset, server 404", tracepb.Span_SPAN_KIND_SERVER, tracepb.Status_STATUS_CODE_UNSET, 404, span.OutcomeSuccess, "unset"},
		{"unset, server 503", tracepb.Span_SPAN_KIND_SERVER, tracepb.Status_STATUS_CODE_UNSET, 503, span.OutcomeFailure, "unset"},
		{"unset, client 404", tracepb.Span_SPAN_KIND_CLIENT, tracepb.Status_STATUS_CODE_UNSET, 404, span.OutcomeFailure, "unset"},
		{"unset, client 302", tracepb.Span_SPAN_KIND_CLIENT, tracepb.Status_STATUS_CODE_UNSET, 302, span.OutcomeSuccess, "unset"},
		{"unknown code", tracepb.Span_SPAN_KIND_CLIENT, tracepb.Status_StatusCode(7), 0, span.OutcomeUnknown, "unset"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := testSpan()
			s.Kind = tc.kind
			s.Status = &tracepb.Status{Code: tc.code, Message: "msg"}
			if tc.status != 0 {
				s.Attributes = append(s.Attributes, intAttr("http.response.status_code", tc.status))
			}
			got, _ := convertOne(t, s, Limits{})
			require.Equal(t, tc.outcome, got.Event.Outcome)
			require.Equal(t, &span.Status{Code: tc.otel, Message: "msg"}, got.OTel.Status)
		})
	}
}

func TestConvertResource(t *testing.T) {
	tests := []struct {
		name    string
		attrs   []*commonpb.KeyValue
		service string
		process span.Process
	}{
		{name: "no attributes", service: "unknown_service"},
		{name: "executable name", attrs: []*commonpb.KeyValue{strAttr("process.executable.name", "bash"), strAttr("process.pid", "12")},
			service: "unknown_service:bash", process: span.Process{PID: 12, Executable: "bash", Name: "bash"}},
		{name: "negative pid", attrs: []*commonpb.KeyValue{strAttr("service.name", "s"), intAttr("process.pid", -1)}, service: "s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := request(testSpan())
			req.ResourceSpans[0].Resource = &resourcepb.Resource{Attributes: tc.attrs}
			res := Convert(req, "otlp/json", Limits{})
			require.Len(t, res.Spans, 1)
			got := res.Spans[0]
			require.Equal(t, tc.service, got.Service.Name)
			require.Equal(t, tc.process, got.Process)
			require.Nil(t, got.Container)
			require.Nil(t, got.Kubernetes)
			require.Equal(t, "otlp/json", got.Vigil.Format)
		})
	}
	// The handler's filter relies on it: one map to redact per resource.
	t.Run("spans of a resource share its map", func(t *testing.T) {
		req := request(testSpan(), testSpan())
		req.ResourceSpans[0].Resource.Attributes = append(req.ResourceSpans[0].Resource.Attributes,
			anyAttr("list", arr(str("a"))))
		want := map[string]any{"service.name": "svc", "list": []any{"a"}}
		res := Convert(req, "otlp/protobuf", Limits{})
		fast, err := fastConvert(marshal(t, req), "otlp/protobuf", Limits{})
		require.NoError(t, err)
		for _, r := range []Result{res, fast} {
			require.Len(t, r.Spans, 2)
			require.Equal(t, want, r.Spans[0].OTel.Resource)
			require.True(t, sameMap(r.Spans[0].OTel.Resource, r.Spans[1].OTel.Resource))
		}
	})
}

// ipOf skips parsing what cannot be an IP and returns IPv4 addresses as
// given; the result must be what the plain expression gives.
func TestIPOf(t *testing.T) {
	for _, s := range []string{"", "10.1.2.3", "010.1.2.3", "1.2.3.4%eth0", "::1", "fe80::1%eth0", "::ffff:1.2.3.4",
		"FE80::A", "host", "1.2.3", "1.2.3.4.5", "[::1]", "1.2.3.4:80", "%eth0", "0.0.0.0", "255.255.255.255", "1.2.3.256"} {
		want, wantOK := "", false
		if ip, err := netip.ParseAddr(s); err == nil {
			want, wantOK = ip.WithZone("").String(), true
		}
		got, ok := ipOf(s)
		require.Equal(t, wantOK, ok, s)
		require.Equal(t, want, got, s)
	}
}
