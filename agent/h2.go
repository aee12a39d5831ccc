package agent

import (
	"strconv"

	"github.com/vigil-dev/vigil/internal/protocol/h2"
	"github.com/vigil-dev/vigil/internal/span"
)

// h2Parser adapts h2.Parser (HTTP/2 in clear text, gRPC).
type h2Parser struct{ *h2.Parser }

func newH2Parser(c *conn) protoParser {
	return h2Parser{h2.NewParser(func(x h2.Exchange) { c.emitSpan(c.t.h2Span(c.t.newSpan(), c, &x)) }, c.joined)}
}

func (p h2Parser) Stopped() bool             { return p.State() == h2.NotH2 }
func (p h2Parser) Errors() map[string]uint64 { return p.Stats.Errors }
func (p h2Parser) Name() string              { return "http2" }

func detectH2(b []byte) (bool, bool) {
	_, ok, sure := h2.Detect(b)
	return ok, sure
}

// h2Span is the span of one stream: a gRPC call ("pkg.Service/Method",
// with grpc-status) or an HTTP/2 request.
func (t *tracker) h2Span(s *span.Span, c *conn, x *h2.Exchange) *span.Span {
	t.baseSpan(s, c, frame{reqDir: x.RequestDir, start: x.RequestStart, end: x.ResponseEnd, reqEnd: x.RequestEnd, incomplete: x.Incomplete, reason: x.Reason, traceparent: x.Traceparent})
	s.Span.Subtype = "http2"
	s.HTTP = &span.HTTP{Version: "2",
		Request:  span.HTTPRequest{Method: x.Method, Scheme: x.Scheme, Path: x.Path, Host: x.Authority, BodyBytes: x.RequestBytes, TraceState: x.Tracestate},
		Response: span.HTTPResponse{StatusCode: x.Status, BodyBytes: x.ResponseBytes},
	}
	switch {
	case x.GRPC:
		s.Span.Subtype = "grpc"
		t.text.add(&s.Span.Name, x.GRPCService, "/", x.GRPCMethod)
		if x.GRPCStatus >= 0 {
			s.Span.Action = "grpc-status " + strconv.Itoa(x.GRPCStatus)
		}
		s.Event.Outcome = grpcOutcome(s.Span.Kind, x.GRPCStatus)
	case x.Method != "":
		t.text.name(&s.Span.Name, x.Method, x.Path)
		s.Event.Outcome = outcome(s.Span.Kind, x.Status)
	default:
		s.Span.Name = "HTTP/2 stream " + strconv.FormatUint(uint64(x.StreamID), 10)
	}
	return s
}

// grpcOutcome follows OpenTelemetry: for a server only some codes are its
// failures (UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL,
// UNAVAILABLE, DATA_LOSS); for a client every non-OK code is.
func grpcOutcome(kind string, status int) string {
	switch {
	case status < 0:
		return span.OutcomeUnknown
	case status == 0:
		return span.OutcomeSuccess
	case kind == span.KindClient:
		return span.OutcomeFailure
	}
	switch status {
	case 2, 4, 12, 13, 14, 15:
		return span.OutcomeFailure
	}
	return span.OutcomeSuccess
}
