package otlp

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vigil-dev/vigil/internal/span"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// sdkSpans creates a server span (child of a remote parent with a
// tracestate), a failing client span with an exception and an event, an
// internal span with a link, and returns them as the SDK recorded them.
func sdkSpans(t *testing.T) []sdktrace.ReadOnlySpan {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	res := resource.NewSchemaless(
		attribute.String("service.name", "checkout"),
		attribute.String("host.name", "node-7"),
		attribute.Int("process.pid", 4242),
		attribute.String("process.executable.path", "/usr/bin/checkout"),
		attribute.String("container.id", "c0ffee"),
		attribute.String("k8s.pod.uid", "0b1c2d3e-pod"),
		attribute.String("k8s.container.name", "app"),
	)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithResource(res))
	tracer := tp.Tracer("vigil/test", trace.WithInstrumentationVersion("1.2.3"))

	ts, err := trace.ParseTraceState("vendor=abc")
	require.NoError(t, err)
	remote := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:  trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
		Remote:  true, TraceFlags: trace.FlagsSampled, TraceState: ts,
	})
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), remote)
	start := time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC)

	ctx, server := tracer.Start(ctx, "GET /orders/{id}", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithTimestamp(start), trace.WithAttributes(
			attribute.String("http.request.method", "GET"),
			attribute.String("url.scheme", "https"),
			attribute.String("url.path", "/orders/42"),
			attribute.String("url.query", "expand=items"),
			attribute.String("server.address", "shop.example"),
			attribute.Int("server.port", 8443),
			attribute.String("client.address", "10.1.2.3"),
			attribute.Int("client.port", 51000),
			attribute.String("network.local.address", "10.9.9.9"),
			attribute.Int("network.local.port", 8443),
			attribute.Int("http.response.status_code", 200),
			attribute.Int("http.response.body.size", 512),
			attribute.Bool("cache.hit", false),
			attribute.Float64("ratio", 0.25),
			attribute.StringSlice("tags", []string{"a", "b"}),
			attribute.Int64Slice("ids", []int64{1, 2}),
			attribute.Float64Slice("weights", []float64{0.5}),
			attribute.BoolSlice("flags", []bool{true}),
		))

	_, client := tracer.Start(ctx, "POST", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithTimestamp(start.Add(time.Millisecond)), trace.WithAttributes(
			attribute.String("http.request.method", "POST"),
			attribute.String("url.full", "https://pay.example/v1/charges?id=7"),
			attribute.String("server.address", "pay.example"),
			attribute.Int("server.port", 443),
			attribute.String("network.peer.address", "192.0.2.10"),
			attribute.Int("network.peer.port", 443),
			attribute.Int("http.response.status_code", 502),
		))
	client.AddEvent("retrying", trace.WithTimestamp(start.Add(2*time.Millisecond)),
		trace.WithAttributes(attribute.Int("attempt", 2)))
	client.RecordError(errors.New("upstream failed"), trace.WithTimestamp(start.Add(3*time.Millisecond)))
	client.SetStatus(codes.Error, "payment upstream failed")
	client.End(trace.WithTimestamp(start.Add(4*time.Millisecond + 567*time.Nanosecond)))

	other := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		SpanID:  trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8},
	})
	_, internal := tracer.Start(ctx, "render", trace.WithTimestamp(start.Add(5*time.Millisecond)),
		trace.WithLinks(trace.Link{SpanContext: other, Attributes: []attribute.KeyValue{attribute.String("why", "batch")}}))
	internal.SetStatus(codes.Ok, "")
	internal.End(trace.WithTimestamp(start.Add(6 * time.Millisecond)))

	server.End(trace.WithTimestamp(start.Add(10 * time.Millisecond)))
	return rec.Ended()
}

// exportServer runs h behind an httptest server, keeping every request
// body it receives (decompressed) for reuse.
type exportServer struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
}

func newExportServer(t *testing.T, h http.Handler) *exportServer {
	s := &exportServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		r.Body = io.NopCloser(bytes.NewReader(b))
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			require.NoError(t, err)
			b, err = io.ReadAll(zr)
			require.NoError(t, err)
		}
		s.mu.Lock()
		s.bodies = append(s.bodies, b)
		s.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func export(t *testing.T, url string, spans []sdktrace.ReadOnlySpan, opts ...otlptracehttp.Option) {
	t.Helper()
	opts = append(opts, otlptracehttp.WithEndpointURL(url+Path),
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
	exp, err := otlptracehttp.New(context.Background(), opts...)
	require.NoError(t, err)
	require.NoError(t, exp.ExportSpans(context.Background(), spans))
	require.NoError(t, exp.Shutdown(context.Background()))
}

func TestSDKExport(t *testing.T) {
	want := sdkSpans(t)
	require.Len(t, want, 3)
	sink := &recordingSink{}
	h := NewHandler(sink, Options{})
	srv := newExportServer(t, h)

	export(t, srv.URL, want)
	protoSpans := sink.take()
	requireSDKSpans(t, want, protoSpans, "otlp/protobuf")
	requireHTTP(t, bySpanID(protoSpans))

	t.Run("json", func(t *testing.T) {
		req := &coltracepb.ExportTraceServiceRequest{}
		require.NoError(t, proto.Unmarshal(srv.bodies[0], req))
		resp := post(t, h, "application/json", toOTLPJSON(t, req))
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		jsonSpans := sink.take()
		requireSDKSpans(t, want, jsonSpans, "otlp/json")
		for i := range jsonSpans {
			jsonSpans[i].Vigil.Format = "otlp/protobuf"
		}
		require.Equal(t, protoSpans, jsonSpans)
	})
	t.Run("gzip", func(t *testing.T) {
		export(t, srv.URL, want, otlptracehttp.WithCompression(otlptracehttp.GzipCompression))
		require.Equal(t, protoSpans, sink.take())
	})
	t.Run("retried export has the same document ids", func(t *testing.T) {
		export(t, srv.URL, want)
		require.Equal(t, protoSpans, sink.take())
	})
	stats := h.Stats()
	require.Equal(t, uint64(4), stats.Requests)
	require.Equal(t, uint64(12), stats.SpansAccepted)
}

// requireSDKSpans holds the stored spans to what the SDK recorded.
func requireSDKSpans(t *testing.T, want []sdktrace.ReadOnlySpan, got []span.Span, format string) {
	t.Helper()
	require.Len(t, got, len(want))
	stored := bySpanID(got)
	for _, w := range want {
		sc := w.SpanContext()
		g, ok := stored[sc.SpanID().String()]
		require.True(t, ok, "span %s not stored", w.Name())
		require.NoError(t, g.Validate())
		require.Equal(t, span.TimeOrderedID(w.StartTime(), sc.SpanID().String()), g.ID)
		require.Equal(t, sc.TraceID().String(), g.Trace.ID)
		require.Equal(t, w.Parent().SpanID().String(), g.Parent.ID)
		require.Equal(t, w.Name(), g.Span.Name)
		require.Equal(t, w.SpanKind().String(), g.Span.Kind)
		require.True(t, w.StartTime().Equal(g.Timestamp), "start %v, stored %v", w.StartTime(), g.Timestamp)
		require.Equal(t, w.EndTime().Sub(w.StartTime()).Microseconds(), g.Span.Duration.US)
		require.Equal(t, "checkout", g.Service.Name)
		require.Equal(t, "node-7", g.Service.Node.Name)
		require.Equal(t, span.Process{PID: 4242, Executable: "/usr/bin/checkout", Name: "checkout"}, g.Process)
		require.Equal(t, &span.Container{ID: "c0ffee"}, g.Container)
		require.Equal(t, &span.Kubernetes{Pod: span.KubernetesPod{UID: "0b1c2d3e-pod"},
			Container: span.KubernetesContainer{Name: "app"}}, g.Kubernetes)
		require.Equal(t, span.Vigil{Source: span.SourceOTLP, Format: format}, g.Vigil)

		o := g.OTel
		require.Equal(t, attrsOf(w.Attributes()), o.Attributes)
		require.Equal(t, attrsOf(w.Resource().Attributes()), o.Resource)
		require.Equal(t, &span.Scope{Name: "vigil/test", Version: "1.2.3"}, o.Scope)
		require.Equal(t, &span.Status{Code: statusCode(w.Status().Code), Message: w.Status().Description}, o.Status)
		require.Equal(t, sc.TraceState().String(), o.TraceState)
		require.Len(t, o.Events, len(w.Events()))
		for i, e := range w.Events() {
			require.Equal(t, span.SpanEvent{Time: e.Time.UTC(), Name: e.Name, Attributes: attrsOf(e.Attributes)}, o.Events[i])
		}
		require.Len(t, o.Links, len(w.Links()))
		for i, l := range w.Links() {
			require.Equal(t, span.Link{TraceID: l.SpanContext.TraceID().String(), SpanID: l.SpanContext.SpanID().String(),
				Attributes: attrsOf(l.Attributes)}, o.Links[i])
		}
		require.Zero(t, o.DroppedAttributes+o.DroppedEvents+o.DroppedLinks)
	}
}

// requireHTTP checks what the HTTP conventions gave the server and client
// spans, and the outcomes.
func requireHTTP(t *testing.T, stored map[string]span.Span) {
	t.Helper()
	var server, client, internal span.Span
	for _, s := range stored {
		switch s.Span.Kind {
		case span.KindServer:
			server = s
		case span.KindClient:
			client = s
		default:
			internal = s
		}
	}
	require.Equal(t, "request", server.Span.Type)
	require.Equal(t, "http", server.Span.Subtype)
	require.Equal(t, &span.HTTP{
		Request:  span.HTTPRequest{Method: "GET", Scheme: "https", Path: "/orders/42?expand=items", Host: "shop.example:8443", TraceState: "vendor=abc"},
		Response: span.HTTPResponse{StatusCode: 200, BodyBytes: 512},
	}, server.HTTP)
	require.Equal(t, span.Endpoint{IP: "10.1.2.3", Port: 51000}, server.Source)
	require.Equal(t, span.Endpoint{IP: "10.9.9.9", Port: 8443}, server.Destination)
	require.Equal(t, span.OutcomeSuccess, server.Event.Outcome)

	require.Equal(t, "external", client.Span.Type)
	require.Equal(t, &span.HTTP{
		Request:  span.HTTPRequest{Method: "POST", Scheme: "https", Path: "/v1/charges?id=7", Host: "pay.example", TraceState: "vendor=abc"},
		Response: span.HTTPResponse{StatusCode: 502},
	}, client.HTTP)
	require.Equal(t, span.Endpoint{IP: "192.0.2.10", Port: 443}, client.Destination)
	require.Equal(t, &span.ServiceTarget{Name: "pay.example", Type: "http"}, client.Service.Target)
	require.Equal(t, span.OutcomeFailure, client.Event.Outcome)
	require.Equal(t, "exception", client.OTel.Events[1].Name)
	require.Equal(t, "upstream failed", client.OTel.Events[1].Attributes["exception.message"])

	require.Equal(t, "internal", internal.Span.Type)
	require.Nil(t, internal.HTTP)
	require.Equal(t, span.OutcomeSuccess, internal.Event.Outcome)
}

func statusCode(c codes.Code) string {
	switch c {
	case codes.Ok:
		return "ok"
	case codes.Error:
		return "error"
	}
	return "unset"
}

// attrsOf is what the SDK's attributes should be stored as.
func attrsOf(kvs []attribute.KeyValue) map[string]any {
	if len(kvs) == 0 {
		return nil
	}
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		m[string(kv.Key)] = valueOf(kv.Value)
	}
	return m
}

func valueOf(v attribute.Value) any {
	switch v.Type() {
	case attribute.BOOL:
		return v.AsBool()
	case attribute.INT64:
		return v.AsInt64()
	case attribute.FLOAT64:
		return v.AsFloat64()
	case attribute.STRING:
		return v.AsString()
	case attribute.BOOLSLICE:
		return anys(v.AsBoolSlice())
	case attribute.INT64SLICE:
		return anys(v.AsInt64Slice())
	case attribute.FLOAT64SLICE:
		return anys(v.AsFloat64Slice())
	case attribute.STRINGSLICE:
		return anys(v.AsStringSlice())
	}
	return nil
}

func anys[T any](s []T) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
