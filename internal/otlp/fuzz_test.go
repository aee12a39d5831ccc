package otlp

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
)

// Seeds beyond those in testdata/fuzz: a valid span, and spans with every
// kind of attribute value.
func fuzzSeeds(f *testing.F) []*coltracepb.ExportTraceServiceRequest {
	s := testSpan()
	s.Attributes = append(s.Attributes, anyAttr("deep", nested(6)), anyAttr("arr", arr(str("a"), dbl(1))),
		intAttr("http.response.status_code", 500), strAttr("url.full", "http://x/y?z"))
	s.ParentSpanId = []byte{1, 2, 3, 4, 5, 6, 7, 8}
	return []*coltracepb.ExportTraceServiceRequest{request(testSpan()), request(s)}
}

func FuzzDecodeProtobuf(f *testing.F) {
	for _, req := range fuzzSeeds(f) {
		f.Add(marshal(f, req))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeProtobuf(body)
		if err != nil {
			return
		}
		requireStorable(t, req, "otlp/protobuf")
	})
}

func FuzzDecodeJSON(f *testing.F) {
	for _, req := range fuzzSeeds(f) {
		f.Add(toOTLPJSON(f, req))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeJSON(body)
		if err != nil {
			return
		}
		requireStorable(t, req, "otlp/json")
	})
}

// requireStorable converts req and holds every span to what stores need:
// it validates and encodes to valid JSON; no span is lost uncounted.
func requireStorable(t *testing.T, req *coltracepb.ExportTraceServiceRequest, format string) {
	res := Convert(req, format, Limits{})
	total := 0
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			total += len(ss.GetSpans())
		}
	}
	require.Equal(t, total, len(res.Spans)+res.RejectedSpans())
	for i := range res.Spans {
		s := &res.Spans[i]
		require.NoError(t, s.Validate())
		require.Len(t, s.Trace.ID, 32)
		require.Len(t, s.Span.ID, 16)
		require.True(t, json.Valid(s.AppendJSON(nil)), "span %s encodes to invalid JSON", s.ID)
	}
}
