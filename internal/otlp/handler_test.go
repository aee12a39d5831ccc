package otlp

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vigil-dev/vigil/internal/span"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// decodeReply decodes a response body as msg in the response's encoding.
func decodeReply(t *testing.T, resp *http.Response, msg proto.Message) {
	t.Helper()
	body := readAll(t, resp.Body)
	switch ct := resp.Header.Get("Content-Type"); ct {
	case contentTypeJSON:
		require.NoError(t, protojson.Unmarshal(body, msg), "body %s", body)
	case contentTypeProtobuf:
		require.NoError(t, proto.Unmarshal(body, msg))
	default:
		t.Fatalf("response Content-Type %q", ct)
	}
}

func TestHandlerErrors(t *testing.T) {
	valid := marshal(t, request(testSpan()))
	tests := []struct {
		name        string
		method      string
		contentType string
		body        []byte
		header      []string
		opts        Options
		sinkErr     error
		status      int
		retryAfter  string
		reason      Reason
	}{
		{name: "GET", method: http.MethodGet, contentType: contentTypeProtobuf, status: 405, reason: ReasonMethod},
		{name: "PUT json", method: http.MethodPut, contentType: contentTypeJSON, status: 405, reason: ReasonMethod},
		{name: "text/plain", contentType: "text/plain", body: valid, status: 415, reason: ReasonContentType},
		{name: "no content type", contentType: "", body: valid, status: 415, reason: ReasonContentType},
		{name: "brotli", contentType: contentTypeProtobuf, body: valid, header: []string{"Content-Encoding", "br"}, status: 415, reason: ReasonContentEncoding},
		{name: "truncated protobuf", contentType: contentTypeProtobuf, body: valid[:len(valid)-3], status: 400, reason: ReasonProtobuf},
		{name: "garbage protobuf", contentType: contentTypeProtobuf, body: []byte{0xff, 0xff, 0xff}, status: 400, reason: ReasonProtobuf},
		{name: "invalid json", contentType: contentTypeJSON, body: []byte(`{"resourceSpans": [`), status: 400, reason: ReasonJSON},
		{name: "json of wrong shape", contentType: contentTypeJSON, body: []byte(`{"resourceSpans": {"a": 1}}`), status: 400, reason: ReasonJSON},
		{name: "json id not base64-able", contentType: contentTypeJSON, body: []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"x!"}]}]}]}`), status: 400, reason: ReasonJSON},
		{name: "not gzip", contentType: contentTypeProtobuf, body: valid, header: []string{"Content-Encoding", "gzip"}, status: 400, reason: ReasonGzip},
		{name: "truncated gzip", contentType: contentTypeProtobuf, body: gzipBytes(t, valid)[:20], header: []string{"Content-Encoding", "gzip"}, status: 400, reason: ReasonGzip},
		{name: "body too large", contentType: contentTypeProtobuf, body: valid, opts: Options{MaxBodyBytes: 10}, status: 413, reason: ReasonTooLarge},
		{name: "json body too large", contentType: contentTypeJSON, body: bytes.Repeat([]byte(" "), 100), opts: Options{MaxBodyBytes: 99}, status: 413, reason: ReasonTooLarge},
		{name: "gzip bomb", contentType: contentTypeProtobuf, body: gzipBytes(t, make([]byte, 64<<20)), header: []string{"Content-Encoding", "gzip"}, status: 413, reason: ReasonTooLarge},
		{name: "compressed too large", contentType: contentTypeProtobuf, body: gzipBytes(t, valid), header: []string{"Content-Encoding", "gzip"}, opts: Options{MaxBodyBytes: 30}, status: 413, reason: ReasonTooLarge},
		{name: "sink overloaded", contentType: contentTypeProtobuf, body: valid, sinkErr: fmt.Errorf("queue full: %w", ErrOverloaded), status: 429, retryAfter: "5", reason: ReasonOverloaded},
		{name: "sink overloaded json", contentType: contentTypeJSON, body: toOTLPJSON(t, request(testSpan())), sinkErr: ErrOverloaded, opts: Options{RetryAfter: 1500 * time.Millisecond}, status: 429, retryAfter: "2", reason: ReasonOverloaded},
		{name: "sink failed", contentType: contentTypeProtobuf, body: valid, sinkErr: errors.New("disk full"), status: 503, retryAfter: "5", reason: ReasonSinkFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			tc.opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			sink := &recordingSink{err: tc.sinkErr}
			h := NewHandler(sink, tc.opts)
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			r := httptest.NewRequest(method, Path, bytes.NewReader(tc.body))
			r.Header.Set("Content-Type", tc.contentType)
			for i := 0; i < len(tc.header); i += 2 {
				r.Header.Set(tc.header[i], tc.header[i+1])
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			resp := w.Result()

			require.Equal(t, tc.status, resp.StatusCode)
			require.Equal(t, tc.retryAfter, resp.Header.Get("Retry-After"))
			if tc.status == 405 {
				require.Equal(t, "POST", resp.Header.Get("Allow"))
			}
			wantType := contentTypeProtobuf
			if tc.contentType == contentTypeJSON {
				wantType = contentTypeJSON
			}
			require.Equal(t, wantType, resp.Header.Get("Content-Type"))
			var st status.Status
			decodeReply(t, resp, &st)
			require.NotEmpty(t, st.GetMessage())
			require.NotZero(t, st.GetCode())

			stats := h.Stats()
			require.Equal(t, uint64(1), stats.Requests)
			require.Equal(t, uint64(1), stats.BadRequests[tc.reason])
			require.Zero(t, stats.SpansAccepted)
			require.Contains(t, logs.String(), "component=otlp")
			require.Contains(t, logs.String(), "reason="+string(tc.reason))
			require.NotContains(t, logs.String(), "secret-value")
		})
	}
}

func TestHandlerPartialSuccess(t *testing.T) {
	good := testSpan()
	badTrace := testSpan()
	badTrace.TraceId = make([]byte, 16)
	badSpan := testSpan()
	badSpan.SpanId = []byte{1, 2, 3}
	badParent := testSpan()
	badParent.ParentSpanId = []byte{1}
	req := request(good, badTrace, badSpan, badParent)

	for _, enc := range []string{contentTypeProtobuf, contentTypeJSON} {
		t.Run(enc, func(t *testing.T) {
			sink := &recordingSink{}
			h := NewHandler(sink, Options{})
			body := marshal(t, req)
			if enc == contentTypeJSON {
				body = toOTLPJSON(t, req)
			}
			resp := post(t, h, enc, body)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			var out coltracepb.ExportTraceServiceResponse
			decodeReply(t, resp, &out)
			require.Equal(t, int64(3), out.GetPartialSuccess().GetRejectedSpans())
			require.Equal(t, "rejected 3 spans (invalid_parent_span_id: 1, invalid_span_id: 1, invalid_trace_id: 1)",
				out.GetPartialSuccess().GetErrorMessage())
			require.Len(t, sink.take(), 1)
			stats := h.Stats()
			require.Equal(t, uint64(1), stats.SpansAccepted)
			require.Equal(t, uint64(1), stats.SpansRejected[ReasonTraceID])
			require.Equal(t, uint64(1), stats.SpansRejected[ReasonSpanID])
			require.Equal(t, uint64(1), stats.SpansRejected[ReasonParentID])
		})
	}
}

func TestHandlerSuccessResponse(t *testing.T) {
	sink := &recordingSink{}
	h := NewHandler(sink, Options{})
	resp := post(t, h, contentTypeProtobuf, marshal(t, request(testSpan())))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var out coltracepb.ExportTraceServiceResponse
	decodeReply(t, resp, &out)
	require.Nil(t, out.PartialSuccess)

	t.Run("empty request calls no sink", func(t *testing.T) {
		sink := &recordingSink{}
		resp := post(t, NewHandler(sink, Options{}), contentTypeJSON, []byte(`{}`))
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Zero(t, sink.calls)
	})
}

func TestHandlerFilter(t *testing.T) {
	sink := &recordingSink{}
	h := NewHandler(sink, Options{Filter: func(s *span.Span) {
		if s.Span.Name == "drop me" {
			s.Service.Name = "" // invalid: must be left out, not stored
			return
		}
		delete(s.OTel.Attributes, "secret")
		s.OTel.Resource["service.name"] = "redacted"
	}})
	a, b := testSpan(), testSpan()
	b.Name, b.SpanId = "drop me", []byte{9, 9, 9, 9, 9, 9, 9, 9}
	resp := post(t, h, contentTypeProtobuf, marshal(t, request(a, a, b)))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	spans := sink.take()
	require.Len(t, spans, 2)
	for _, s := range spans {
		require.NotContains(t, s.OTel.Attributes, "secret")
		require.Equal(t, "redacted", s.OTel.Resource["service.name"])
	}
	require.Equal(t, uint64(1), h.Stats().SpansRejected[ReasonInvalid])
}

func TestLogsAreRateLimited(t *testing.T) {
	var logs bytes.Buffer
	now := time.Unix(1000, 0)
	h := NewHandler(&recordingSink{}, Options{
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Now:    func() time.Time { return now },
	})
	for range 5 {
		post(t, h, "text/plain", nil)
	}
	post(t, h, contentTypeProtobuf, []byte{0xff})
	require.Equal(t, 2, strings.Count(logs.String(), "\n"), logs.String())
	now = now.Add(11 * time.Second)
	post(t, h, "text/plain", nil)
	require.Contains(t, logs.String(), "suppressed=4")
}

func TestLogsHoldNoValues(t *testing.T) {
	var logs bytes.Buffer
	h := NewHandler(&recordingSink{}, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	post(t, h, contentTypeJSON, []byte(`{"resourceSpans": "secret-value"}`))
	s := testSpan()
	s.SpanId = nil
	post(t, h, contentTypeProtobuf, marshal(t, request(s)))
	require.Contains(t, logs.String(), "reason=json")
	require.Contains(t, logs.String(), "reason=invalid_span_id")
	require.NotContains(t, logs.String(), "secret-value")
}

// testSpan is a valid server span whose attributes include a secret.
func testSpan() *tracepb.Span {
	return &tracepb.Span{
		TraceId:           []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		SpanId:            []byte{1, 2, 3, 4, 5, 6, 7, 8},
		Name:              "GET /",
		Kind:              tracepb.Span_SPAN_KIND_SERVER,
		StartTimeUnixNano: uint64(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano()),
		EndTimeUnixNano:   uint64(time.Date(2026, 1, 2, 3, 4, 5, 1500, time.UTC).UnixNano()),
		Attributes:        []*commonpb.KeyValue{strAttr("secret", "secret-value"), strAttr("http.request.method", "GET")},
	}
}

func request(spans ...*tracepb.Span) *coltracepb.ExportTraceServiceRequest {
	return &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource:   &resourcepb.Resource{Attributes: []*commonpb.KeyValue{strAttr("service.name", "svc")}},
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: spans}},
	}}}
}

// TestHandlerFilterDropsInTheMiddle checks that the spans after a dropped
// one move up, in order.
func TestHandlerFilterDropsInTheMiddle(t *testing.T) {
	sink := &recordingSink{}
	h := NewHandler(sink, Options{Filter: func(s *span.Span) {
		if s.Span.Name == "drop me" {
			s.Service.Name = ""
		}
	}})
	a, b, c, d := testSpan(), testSpan(), testSpan(), testSpan()
	b.Name, b.SpanId = "drop me", []byte{9, 9, 9, 9, 9, 9, 9, 9}
	c.Name, c.SpanId = "third", []byte{8, 8, 8, 8, 8, 8, 8, 8}
	d.Name, d.SpanId = "fourth", []byte{7, 7, 7, 7, 7, 7, 7, 7}
	resp := post(t, h, contentTypeProtobuf, marshal(t, request(a, b, c, d)))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	spans := sink.take()
	require.Len(t, spans, 3)
	require.Equal(t, a.Name, spans[0].Span.Name)
	require.Equal(t, "third", spans[1].Span.Name)
	require.Equal(t, "0808080808080808", spans[1].Span.ID)
	require.Equal(t, "fourth", spans[2].Span.Name)
}
