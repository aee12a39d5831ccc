package otlp

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/vigil-dev/vigil/internal/redact"
	"github.com/vigil-dev/vigil/internal/span"
)

// twoResources is an export of two resources of three spans each, a
// secret in each resource.
func twoResources(t *testing.T) []byte {
	var rs []*tracepb.ResourceSpans
	for r := range 2 {
		var spans []*tracepb.Span
		for i := range 3 {
			s := testSpan()
			s.SpanId[7] = byte(10*r + i)
			spans = append(spans, s)
		}
		rs = append(rs, &tracepb.ResourceSpans{
			Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{
				strAttr("service.name", "svc"), strAttr("deploy.token", "s3ntinel-Secr3t-42")}},
			ScopeSpans: []*tracepb.ScopeSpans{{Spans: spans}},
		})
	}
	return marshal(t, &coltracepb.ExportTraceServiceRequest{ResourceSpans: rs})
}

// TestHandlerFilterSharedResource: Filter sees a resource once per
// ResourceSpans, and what it leaves there is every span's.
func TestHandlerFilterSharedResource(t *testing.T) {
	tests := []struct {
		name   string
		filter func(calls *int) func(*span.Span)
		want   map[string]any // every stored span's resource
		calls  int            // Filter calls that saw the secret
	}{
		{name: "redacted in place", filter: func(calls *int) func(*span.Span) {
			red := redact.MustNew(redact.Default())
			return func(s *span.Span) {
				if s.OTel.Resource["deploy.token"] != nil {
					*calls++
				}
				red.Span(s)
			}
		}, want: map[string]any{"service.name": "svc", "deploy.token": redact.Placeholder}, calls: 2},
		{name: "replaced", filter: func(calls *int) func(*span.Span) {
			return func(s *span.Span) {
				if s.OTel.Resource["deploy.token"] != nil {
					*calls++
					s.OTel.Resource = map[string]any{"service.name": "svc"}
				}
			}
		}, want: map[string]any{"service.name": "svc"}, calls: 2},
		{name: "written on every span", filter: func(calls *int) func(*span.Span) {
			return func(s *span.Span) {
				if s.OTel.Resource["deploy.token"] != nil {
					*calls++
				}
				s.OTel.Resource["deploy.token"] = "gone"
			}
		}, want: map[string]any{"service.name": "svc", "deploy.token": "gone"}, calls: 2},
		{name: "OTel dropped from the first span", filter: func(calls *int) func(*span.Span) {
			return func(s *span.Span) {
				if s.OTel.Resource["deploy.token"] != nil {
					*calls++
					if *calls == 1 {
						s.OTel = nil
						return
					}
					delete(s.OTel.Resource, "deploy.token")
				}
			}
		}, want: map[string]any{"service.name": "svc"}, calls: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sink := &recordingSink{}
			calls := 0
			h := NewHandler(sink, Options{Filter: tc.filter(&calls)})
			resp := post(t, h, contentTypeProtobuf, twoResources(t))
			require.Equal(t, http.StatusOK, resp.StatusCode)
			spans := sink.take()
			require.Len(t, spans, 6)
			for i, s := range spans {
				if s.OTel == nil {
					require.Zero(t, i)
					continue
				}
				require.Equal(t, tc.want, s.OTel.Resource, i)
			}
			require.Equal(t, tc.calls, calls)
		})
	}
}

// A shared resource counts once per resource; the spans' own attributes
// once per span.
func TestHandlerRedactionCounts(t *testing.T) {
	red := redact.MustNew(redact.Default())
	h := NewHandler(&recordingSink{}, Options{Filter: red.Span})
	post(t, h, contentTypeProtobuf, twoResources(t))
	require.EqualValues(t, 2, red.Counts()["json:token"])  // deploy.token, once per resource
	require.EqualValues(t, 6, red.Counts()["json:secret"]) // each span's "secret"
}
