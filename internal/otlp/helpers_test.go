package otlp

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vigil-dev/vigil/internal/span"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// recordingSink keeps what it is given; err, when set, is returned instead.
type recordingSink struct {
	mu    sync.Mutex
	spans []span.Span
	calls int
	err   error
}

func (s *recordingSink) WriteSpans(_ context.Context, spans []span.Span) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.err != nil {
		return s.err
	}
	s.spans = append(s.spans, spans...)
	return nil
}

func (s *recordingSink) take() []span.Span {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.spans
	s.spans = nil
	return out
}

func bySpanID(spans []span.Span) map[string]span.Span {
	m := make(map[string]span.Span, len(spans))
	for _, s := range spans {
		m[s.Span.ID] = s
	}
	return m
}

// post sends body to h and returns the response.
func post(t *testing.T, h http.Handler, contentType string, body []byte, header ...string) *http.Response {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, Path, bytes.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func readAll(t *testing.T, r io.Reader) []byte {
	t.Helper()
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	return b
}

// toOTLPJSON encodes req as OTLP/JSON the way the specification asks and
// independently of decodeJSON: protojson, then every id turned from base64
// into hex.
func toOTLPJSON(t testing.TB, req *coltracepb.ExportTraceServiceRequest) []byte {
	t.Helper()
	b, err := protojson.Marshal(req)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b, &doc))
	for _, rs := range list(doc["resourceSpans"]) {
		for _, ss := range list(obj(rs)["scopeSpans"]) {
			for _, s := range list(obj(ss)["spans"]) {
				hexIDs(t, obj(s), "traceId", "spanId", "parentSpanId")
				for _, l := range list(obj(s)["links"]) {
					hexIDs(t, obj(l), "traceId", "spanId")
				}
			}
		}
	}
	out, err := json.Marshal(doc)
	require.NoError(t, err)
	return out
}

func list(v any) []any         { l, _ := v.([]any); return l }
func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

func hexIDs(t testing.TB, m map[string]any, keys ...string) {
	for _, k := range keys {
		s, ok := m[k].(string)
		if !ok {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(s)
		require.NoError(t, err)
		m[k] = hex.EncodeToString(b)
	}
}

func marshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	require.NoError(t, err)
	return b
}

func strAttr(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

func intAttr(k string, v int64) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v}}}
}
