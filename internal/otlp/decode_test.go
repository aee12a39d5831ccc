package otlp

import (
	"bytes"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vigil-dev/vigil/internal/span"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
)

// The example from the OTLP specification (opentelemetry-proto's
// examples/trace.json): upper-case hex ids, kind as a number, times as
// strings.
func TestDecodeJSONSpecExample(t *testing.T) {
	body, err := os.ReadFile("testdata/spec_example.json")
	require.NoError(t, err)
	sink := &recordingSink{}
	resp := post(t, NewHandler(sink, Options{}), "application/json; charset=utf-8", body)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	spans := sink.take()
	require.Len(t, spans, 1)
	s := spans[0]
	require.Equal(t, "5b8efff798038103d269b633813fc60c", s.Trace.ID)
	require.Equal(t, "eee19b7ec3c1b174", s.Span.ID)
	require.Equal(t, &span.Parent{ID: "eee19b7ec3c1b173"}, s.Parent)
	require.Equal(t, "I'm a server span", s.Span.Name)
	require.Equal(t, span.KindServer, s.Span.Kind)
	require.Equal(t, time.Unix(1544712660, 0).UTC(), s.Timestamp)
	require.Equal(t, int64(1_000_000), s.Span.Duration.US)
	require.Equal(t, "my.service", s.Service.Name)
	require.Equal(t, &span.Scope{Name: "my.library", Version: "1.0.0"}, s.OTel.Scope)
	require.Equal(t, map[string]any{"my.span.attr": "some value"}, s.OTel.Attributes)
	require.Equal(t, "otlp/json", s.Vigil.Format)
}

func TestDecodeJSONVariants(t *testing.T) {
	const ids = `"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708"`
	tests := []struct {
		name   string
		span   string
		check  func(t *testing.T, s span.Span)
		reason Reason
	}{
		{name: "enum name, int64 as numbers", span: `{` + ids + `,"kind":"SPAN_KIND_CLIENT","startTimeUnixNano":1544712660000000000,"endTimeUnixNano":1544712660000001000,
			"attributes":[{"key":"n","value":{"intValue":42}},{"key":"s","value":{"intValue":"-7"}}]}`,
			check: func(t *testing.T, s span.Span) {
				require.Equal(t, span.KindClient, s.Span.Kind)
				require.Equal(t, int64(1), s.Span.Duration.US)
				require.Equal(t, map[string]any{"n": int64(42), "s": int64(-7)}, s.OTel.Attributes)
			}},
		{name: "snake_case names, unknown fields", span: `{"trace_id":"0102030405060708090a0b0c0d0e0f10","span_id":"0102030405060708","parent_span_id":"",
			"start_time_unix_nano":"1","future_field":{"x":1},"status":{"code":"STATUS_CODE_ERROR","message":"m"}}`,
			check: func(t *testing.T, s span.Span) {
				require.Nil(t, s.Parent)
				require.Equal(t, &span.Status{Code: "error", Message: "m"}, s.OTel.Status)
			}},
		{name: "status as number, bytes, double, array, kvlist", span: `{` + ids + `,"startTimeUnixNano":"1","status":{"code":2},
			"attributes":[{"key":"b","value":{"bytesValue":"AAH/"}},{"key":"d","value":{"doubleValue":"NaN"}},
			{"key":"a","value":{"arrayValue":{"values":[{"boolValue":true}]}}},{"key":"m","value":{"kvlistValue":{"values":[{"key":"k","value":{}}]}}}]}`,
			check: func(t *testing.T, s span.Span) {
				require.Equal(t, "error", s.OTel.Status.Code)
				require.Equal(t, map[string]any{"b": "AAH/", "d": "NaN", "a": []any{true}, "m": map[string]any{"k": nil}}, s.OTel.Attributes)
			}},
		{name: "link ids", span: `{` + ids + `,"startTimeUnixNano":"1","links":[{"traceId":"ffffffffffffffffffffffffffffffff","spanId":"AAAAAAAAAAAAAAAA"}]}`,
			check: func(t *testing.T, s span.Span) {
				require.Equal(t, []span.Link{{TraceID: "ffffffffffffffffffffffffffffffff", SpanID: "aaaaaaaaaaaaaaaa"}}, s.OTel.Links)
			}},
		{name: "invalid UTF-8 in a string", span: `{` + ids + `,"startTimeUnixNano":"1","name":"a` + "\xff" + `b"}`,
			check: func(t *testing.T, s span.Span) { require.Equal(t, "a\uFFFDb", s.Span.Name) }},
		{name: "base64 trace id, as plain protojson would send", span: `{"traceId":"AQIDBAUGBwgJCgsMDQ4PEA==","spanId":"0102030405060708","startTimeUnixNano":"1"}`,
			reason: ReasonTraceID},
		{name: "non-hex span id", span: `{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060z0g","startTimeUnixNano":"1"}`,
			reason: ReasonSpanID},
		{name: "short hex trace id", span: `{"traceId":"01020304","spanId":"0102030405060708","startTimeUnixNano":"1"}`,
			reason: ReasonTraceID},
		{name: "non-hex parent id", span: `{` + ids + `,"parentSpanId":"zzzzzzzzzzzzzzzz","startTimeUnixNano":"1"}`,
			reason: ReasonParentID},
		{name: "zero parent id is root", span: `{` + ids + `,"parentSpanId":"0000000000000000","startTimeUnixNano":"1"}`,
			check: func(t *testing.T, s span.Span) { require.Nil(t, s.Parent) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[` + tc.span + `]}]}]}`)
			req, err := decodeJSON(body)
			require.NoError(t, err)
			res := Convert(req, "otlp/json", Limits{})
			if tc.reason != "" {
				require.Equal(t, map[Reason]int{tc.reason: 1}, res.Rejected)
				return
			}
			require.Len(t, res.Spans, 1)
			require.NoError(t, res.Spans[0].Validate())
			tc.check(t, res.Spans[0])
		})
	}
}

// Go's protobuf refuses invalid UTF-8 in strings, which other senders
// produce; such requests are stored with the bytes replaced.
func TestDecodeProtobufInvalidUTF8(t *testing.T) {
	s := testSpan()
	s.Name = "name-XX"
	s.Attributes = append(s.Attributes, strAttr("k-XX", "v-XX"))
	body := marshal(t, request(s))
	body = bytes.ReplaceAll(body, []byte("-XX"), []byte("-\xff\xfe"))

	req, err := decodeProtobuf(body)
	require.NoError(t, err)
	res := Convert(req, "otlp/protobuf", Limits{})
	require.Len(t, res.Spans, 1)
	got := res.Spans[0]
	require.Equal(t, "name-\uFFFD", got.Span.Name)
	require.Equal(t, "v-\uFFFD", got.OTel.Attributes["k-\uFFFD"])
}

func TestDecodeProtobufErrors(t *testing.T) {
	valid := marshal(t, request(testSpan()))
	for _, n := range []int{1, 2, 10, len(valid) - 1} {
		_, err := decodeProtobuf(valid[:n])
		require.Error(t, err, "truncated to %d bytes", n)
	}
	req, err := decodeProtobuf(nil)
	require.NoError(t, err, "an empty body is an empty request")
	require.Empty(t, req.ResourceSpans)
	_, err = decodeProtobuf(bytes.Repeat([]byte{0x0a, 0x80, 0x01}, 10)) // lengths past the end
	require.Error(t, err)
	var empty coltracepb.ExportTraceServiceRequest
	require.Empty(t, Convert(&empty, "otlp/protobuf", Limits{}).Spans)
	require.Empty(t, Convert(nil, "otlp/protobuf", Limits{}).Spans)
}
