package otlp

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/span"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

const benchSpans = 100

// benchRequest is a realistic export: 100 spans of one service in ten
// traces, each with ~10 attributes of current HTTP conventions.
func benchRequest() *coltracepb.ExportTraceServiceRequest {
	spans := make([]*tracepb.Span, benchSpans)
	start := uint64(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano())
	for i := range spans {
		trace := byte(i / 10)
		spans[i] = &tracepb.Span{
			TraceId:           []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, trace + 1},
			SpanId:            []byte{1, 2, 3, 4, 5, 6, byte(i >> 8), byte(i) + 1},
			ParentSpanId:      []byte{9, 9, 9, 9, 9, 9, 9, trace + 1},
			Name:              "GET /api/orders/{id}",
			Kind:              tracepb.Span_SPAN_KIND_SERVER,
			StartTimeUnixNano: start + uint64(i)*1000,
			EndTimeUnixNano:   start + uint64(i)*1000 + 2_500_000,
			Attributes: []*commonpb.KeyValue{
				strAttr("http.request.method", "GET"),
				strAttr("url.path", fmt.Sprintf("/api/orders/%d", i)),
				strAttr("url.query", "expand=items"),
				strAttr("url.scheme", "https"),
				strAttr("server.address", "shop.example.com"),
				intAttr("server.port", 443),
				strAttr("client.address", "10.1.2.3"),
				intAttr("http.response.status_code", 200),
				strAttr("http.route", "/api/orders/{id}"),
				strAttr("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"),
			},
			Status: &tracepb.Status{},
		}
	}
	return &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{
			strAttr("service.name", "shop"), strAttr("service.version", "1.4.2"),
			strAttr("host.name", "node-7"), intAttr("process.pid", 4242),
			strAttr("telemetry.sdk.language", "go"), strAttr("telemetry.sdk.name", "opentelemetry"),
		}},
		ScopeSpans: []*tracepb.ScopeSpans{{
			Scope: &commonpb.InstrumentationScope{Name: "net/http", Version: "0.68.0"},
			Spans: spans,
		}},
	}}}
}

func reportSpans(b *testing.B) {
	b.ReportMetric(float64(b.N*benchSpans)/b.Elapsed().Seconds(), "spans/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchSpans), "ns/span")
}

func BenchmarkConvert(b *testing.B) {
	req := benchRequest()
	b.ReportAllocs()
	for b.Loop() {
		if res := Convert(req, "otlp/protobuf", Limits{}); len(res.Spans) != benchSpans {
			b.Fatalf("%d spans", len(res.Spans))
		}
	}
	reportSpans(b)
}

// BenchmarkDecodeConvert is the handler's protobuf path (decodeConvert);
// BenchmarkDecodeConvertReference the generated decoder and Convert.
func BenchmarkDecodeConvert(b *testing.B) {
	body := marshal(b, benchRequest())
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		res, err := decodeConvert(body, "otlp/protobuf", Limits{})
		if err != nil || len(res.Spans) != benchSpans {
			b.Fatal(err, len(res.Spans))
		}
	}
	reportSpans(b)
}

func BenchmarkDecodeConvertReference(b *testing.B) {
	body := marshal(b, benchRequest())
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		req, err := decodeProtobuf(body)
		if err != nil {
			b.Fatal(err)
		}
		Convert(req, "otlp/protobuf", Limits{})
	}
	reportSpans(b)
}

// discardSink stands for storage: it encodes each span as a store would.
type discardSink struct{ buf []byte }

func (s *discardSink) WriteSpans(_ context.Context, spans []span.Span) error {
	for i := range spans {
		s.buf = spans[i].AppendJSON(s.buf[:0])
	}
	return nil
}

func BenchmarkHandlerProtobuf(b *testing.B) {
	for _, gz := range []bool{false, true} {
		b.Run(fmt.Sprintf("gzip=%v", gz), func(b *testing.B) {
			body := marshal(b, benchRequest())
			if gz {
				body = gzipBytes(b, body)
			}
			h := NewHandler(&discardSink{}, Options{})
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				r := httptest.NewRequest(http.MethodPost, Path, bytes.NewReader(body))
				r.Header.Set("Content-Type", contentTypeProtobuf)
				if gz {
					r.Header.Set("Content-Encoding", "gzip")
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
			reportSpans(b)
		})
	}
}

func BenchmarkHandlerJSON(b *testing.B) {
	body := toOTLPJSON(b, benchRequest())
	h := NewHandler(&discardSink{}, Options{})
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, Path, bytes.NewReader(body))
		r.Header.Set("Content-Type", contentTypeJSON)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	reportSpans(b)
}
