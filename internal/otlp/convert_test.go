package otlp

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vigil-dev/vigil/internal/span"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// convertOne converts a request of one span and returns the span, or the
// rejection reason.
func convertOne(t *testing.T, s *tracepb.Span, lim Limits) (span.Span, Reason) {
	t.Helper()
	res := Convert(request(s), "otlp/protobuf", lim)
	if len(res.Spans) == 1 {
		require.NoError(t, res.Spans[0].Validate())
		return res.Spans[0], ""
	}
	require.Len(t, res.Rejected, 1)
	for r := range res.Rejected {
		return span.Span{}, r
	}
	return span.Span{}, ""
}

func TestConvertIDs(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*tracepb.Span)
		reason Reason
		parent *span.Parent
	}{
		{name: "valid root", edit: func(*tracepb.Span) {}},
		{name: "parent", edit: func(s *tracepb.Span) { s.ParentSpanId = []byte{0xa, 0xb, 0xc, 0xd, 0xe, 0xf, 0x10, 0x11} },
			parent: &span.Parent{ID: "0a0b0c0d0e0f1011"}},
		{name: "all-zero parent is root", edit: func(s *tracepb.Span) { s.ParentSpanId = make([]byte, 8) }},
		{name: "short trace id", edit: func(s *tracepb.Span) { s.TraceId = s.TraceId[:15] }, reason: ReasonTraceID},
		{name: "long trace id", edit: func(s *tracepb.Span) { s.TraceId = append(s.TraceId, 1) }, reason: ReasonTraceID},
		{name: "zero trace id", edit: func(s *tracepb.Span) { s.TraceId = make([]byte, 16) }, reason: ReasonTraceID},
		{name: "no trace id", edit: func(s *tracepb.Span) { s.TraceId = nil }, reason: ReasonTraceID},
		{name: "short span id", edit: func(s *tracepb.Span) { s.SpanId = s.SpanId[:7] }, reason: ReasonSpanID},
		{name: "zero span id", edit: func(s *tracepb.Span) { s.SpanId = make([]byte, 8) }, reason: ReasonSpanID},
		{name: "bad parent id", edit: func(s *tracepb.Span) { s.ParentSpanId = []byte{1, 2} }, reason: ReasonParentID},
		{name: "no start time", edit: func(s *tracepb.Span) { s.StartTimeUnixNano = 0 }, reason: ReasonStartTime},
		{name: "start past 2262", edit: func(s *tracepb.Span) { s.StartTimeUnixNano = math.MaxUint64 }, reason: ReasonStartTime},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := testSpan()
			tc.edit(s)
			got, reason := convertOne(t, s, Limits{})
			require.Equal(t, tc.reason, reason)
			if reason != "" {
				return
			}
			require.Equal(t, "0102030405060708090a0b0c0d0e0f10", got.Trace.ID)
			require.Equal(t, "0102030405060708", got.Span.ID)
			require.Equal(t, span.TimeOrderedID(got.Timestamp, "0102030405060708"), got.ID)
			require.Equal(t, tc.parent, got.Parent)
		})
	}
}

func TestConvertKindsAndTimes(t *testing.T) {
	tests := []struct {
		kind     tracepb.Span_SpanKind
		want     string
		spanType string
	}{
		{tracepb.Span_SPAN_KIND_SERVER, span.KindServer, "request"},
		{tracepb.Span_SPAN_KIND_CLIENT, span.KindClient, "external"},
		{tracepb.Span_SPAN_KIND_PRODUCER, span.KindProducer, "messaging"},
		{tracepb.Span_SPAN_KIND_CONSUMER, span.KindConsumer, "messaging"},
		{tracepb.Span_SPAN_KIND_INTERNAL, span.KindInternal, "internal"},
		{tracepb.Span_SPAN_KIND_UNSPECIFIED, span.KindInternal, "internal"},
		{tracepb.Span_SpanKind(99), span.KindInternal, "internal"},
	}
	for _, tc := range tests {
		t.Run(tc.kind.String(), func(t *testing.T) {
			s := testSpan()
			s.Kind = tc.kind
			got, _ := convertOne(t, s, Limits{})
			require.Equal(t, tc.want, got.Span.Kind)
			require.Equal(t, tc.spanType, got.Span.Type)
		})
	}
	t.Run("times", func(t *testing.T) {
		got, _ := convertOne(t, testSpan(), Limits{})
		require.Equal(t, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), got.Timestamp)
		require.Equal(t, time.UTC, got.Timestamp.Location())
		require.Equal(t, int64(1), got.Span.Duration.US)
		require.False(t, got.Vigil.Incomplete)
	})
	t.Run("end before start", func(t *testing.T) {
		s := testSpan()
		s.EndTimeUnixNano = s.StartTimeUnixNano - 1
		got, _ := convertOne(t, s, Limits{})
		require.Zero(t, got.Span.Duration.US)
		require.True(t, got.Vigil.Incomplete)
		require.NotEmpty(t, got.Vigil.Reason)
	})
}

func anyAttr(k string, v *commonpb.AnyValue) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: v}
}

func str(s string) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: s}}
}

func dbl(f float64) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: f}}
}

func arr(vs ...*commonpb.AnyValue) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: vs}}}
}

func kvlist(kvs ...*commonpb.KeyValue) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{Values: kvs}}}
}

// nested is a value n maps deep around "leaf".
func nested(n int) *commonpb.AnyValue {
	v := str("leaf")
	for range n {
		v = kvlist(anyAttr("k", v))
	}
	return v
}

func TestConvertAttributeValues(t *testing.T) {
	tests := []struct {
		name string
		in   *commonpb.AnyValue
		want any
	}{
		{"string", str("v"), "v"},
		{"bool", &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: true}}, true},
		{"int", &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: -7}}, int64(-7)},
		{"double", dbl(1.5), 1.5},
		{"NaN", dbl(math.NaN()), "NaN"},
		{"+Inf", dbl(math.Inf(1)), "+Inf"},
		{"-Inf", dbl(math.Inf(-1)), "-Inf"},
		{"bytes", &commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: []byte{0, 1, 0xff}}}, "AAH/"},
		{"array", arr(str("a"), dbl(2)), []any{"a", 2.0}},
		{"kvlist", kvlist(anyAttr("x", str("y"))), map[string]any{"x": "y"}},
		{"empty kvlist", kvlist(), map[string]any{}},
		{"empty value", &commonpb.AnyValue{}, nil},
		{"nil value", nil, nil},
		{"strindex (profiles only)", &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValueStrindex{StringValueStrindex: 3}}, nil},
		{"invalid UTF-8", str("a\xffb"), "a\uFFFDb"},
		{"4 levels deep", nested(4), map[string]any{"k": map[string]any{"k": map[string]any{"k": map[string]any{"k": "leaf"}}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := testSpan()
			s.Attributes = []*commonpb.KeyValue{anyAttr("v", tc.in)}
			got, _ := convertOne(t, s, Limits{})
			require.Equal(t, map[string]any{"v": tc.want}, got.OTel.Attributes)
		})
	}
}

func TestConvertLimits(t *testing.T) {
	many := func(n int) []*commonpb.KeyValue {
		kvs := make([]*commonpb.KeyValue, n)
		for i := range kvs {
			kvs[i] = intAttr("k"+strings.Repeat("x", i), int64(i))
		}
		return kvs
	}
	t.Run("too many attributes", func(t *testing.T) {
		s := testSpan()
		s.Attributes, s.DroppedAttributesCount = many(200), 3
		got, _ := convertOne(t, s, Limits{})
		require.Len(t, got.OTel.Attributes, 128)
		require.Equal(t, 72+3, got.OTel.DroppedAttributes)
	})
	t.Run("long strings are cut on a character boundary", func(t *testing.T) {
		s := testSpan()
		long := "a" + strings.Repeat("é", 3000) // 6001 bytes; byte 4096 is inside an é
		s.Attributes = []*commonpb.KeyValue{strAttr("long", long), strAttr(strings.Repeat("k", 5000), "v")}
		got, _ := convertOne(t, s, Limits{})
		v := got.OTel.Attributes["long"].(string)
		require.Len(t, v, 4095)
		require.True(t, strings.HasPrefix(long, v))
		require.Contains(t, got.OTel.Attributes, strings.Repeat("k", 4096))
		require.Equal(t, int64(2), got.OTel.Attributes[AttrTruncatedStrings])
	})
	t.Run("deep nesting is cut", func(t *testing.T) {
		s := testSpan()
		s.Attributes = []*commonpb.KeyValue{anyAttr("deep", nested(6)), anyAttr("arr", arr(arr(arr(arr(arr(str("x")))))))}
		got, _ := convertOne(t, s, Limits{})
		require.Equal(t, map[string]any{"k": map[string]any{"k": map[string]any{"k": map[string]any{}}}},
			got.OTel.Attributes["deep"])
		require.Equal(t, []any{[]any{[]any{[]any{}}}}, got.OTel.Attributes["arr"])
		require.Equal(t, int64(2), got.OTel.Attributes[AttrDroppedValues])
	})
	t.Run("long arrays", func(t *testing.T) {
		s := testSpan()
		vals := make([]*commonpb.AnyValue, 300)
		for i := range vals {
			vals[i] = dbl(float64(i))
		}
		s.Attributes = []*commonpb.KeyValue{anyAttr("a", arr(vals...))}
		got, _ := convertOne(t, s, Limits{})
		require.Len(t, got.OTel.Attributes["a"], 128)
		require.Equal(t, int64(172), got.OTel.Attributes[AttrDroppedValues])
	})
	t.Run("events and links", func(t *testing.T) {
		s := testSpan()
		for i := range 130 {
			s.Events = append(s.Events, &tracepb.Span_Event{Name: "e", TimeUnixNano: uint64(i) + s.StartTimeUnixNano})
			s.Links = append(s.Links, &tracepb.Span_Link{TraceId: s.TraceId, SpanId: s.SpanId})
		}
		s.Links = append(s.Links, &tracepb.Span_Link{TraceId: []byte{1}, SpanId: s.SpanId}) // invalid
		s.DroppedEventsCount, s.DroppedLinksCount = 1, 1
		got, _ := convertOne(t, s, Limits{})
		require.Len(t, got.OTel.Events, 128)
		require.Len(t, got.OTel.Links, 128)
		require.Equal(t, 3, got.OTel.DroppedEvents)
		require.Equal(t, 4, got.OTel.DroppedLinks)
	})
	t.Run("configured limits", func(t *testing.T) {
		s := testSpan()
		s.Attributes = []*commonpb.KeyValue{intAttr("a", 1), intAttr("b", 2), anyAttr("n", nested(2)),
			strAttr("s", "abcdef"), intAttr("c", 3)}
		got, _ := convertOne(t, s, Limits{MaxAttributes: 4, MaxStringBytes: 3, MaxDepth: 1})
		// cut: "abcdef", the name "GET /" and the resource key "service.name"
		require.Equal(t, map[string]any{"a": int64(1), "b": int64(2), "n": map[string]any{}, "s": "abc",
			AttrTruncatedStrings: int64(3), AttrDroppedValues: int64(1)}, got.OTel.Attributes)
		require.Equal(t, 1, got.OTel.DroppedAttributes)
	})
}
