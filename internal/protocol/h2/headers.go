package h2

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/http2/hpack"
)

// block holds the fields of one header block that an exchange uses; the
// decoder still reads every field, to keep its table in step.
type block struct {
	method, path, authority, scheme, status string
	contentType, grpcStatus, grpcMessage    string
	traceparent, tracestate                 string
	hasPath, hasStatus                      bool
}

// field is the decoder's emit function.
func (h *half) field(f hpack.HeaderField) {
	b := &h.blk
	switch f.Name {
	case ":method":
		b.method = f.Value
	case ":path":
		b.path, b.hasPath = f.Value, true
	case ":authority":
		b.authority = f.Value
	case ":scheme":
		b.scheme = f.Value
	case ":status":
		b.status, b.hasStatus = f.Value, true
	case "content-type":
		b.contentType = f.Value
	case "grpc-status":
		b.grpcStatus = f.Value
	case "grpc-message":
		b.grpcMessage = f.Value
	case "traceparent":
		b.traceparent = cut(f.Value, maxTraceHeader)
	case "tracestate":
		b.tracestate = cut(f.Value, maxTraceHeader)
	}
}

// applyRequest copies a request head into the stream's exchange.
func (s *stream) applyRequest(b *block) {
	x := &s.x
	x.Method, x.Authority, x.Scheme = b.method, b.authority, b.scheme
	x.Traceparent, x.Tracestate = b.traceparent, b.tracestate
	if b.method == "" && s.reason == "" {
		s.reason = ReasonMalformed
	}
	if b.hasPath {
		// RFC 9113 8.3.1: an origin-form path or "*"; anything else is not
		// reported rather than reported wrong.
		if strings.HasPrefix(b.path, "/") || b.path == "*" {
			x.Path = b.path
		} else if s.reason == "" {
			s.reason = ReasonMalformed
		}
	}
	if isGRPC(b.contentType) {
		x.GRPC = true
	}
}

// applyResponse copies a response head or trailers into the exchange;
// final reports whether it was not an interim (1xx) head.
func (s *stream) applyResponse(b *block) (final bool) {
	x := &s.x
	if b.hasStatus {
		st, err := strconv.Atoi(b.status)
		if err != nil || len(b.status) != 3 || st < 100 {
			if s.reason == "" {
				s.reason = ReasonMalformed
			}
			return true
		}
		if st < 200 {
			return false
		}
		if x.Status == 0 {
			x.Status = st
		}
	}
	if isGRPC(b.contentType) {
		x.GRPC = true
	}
	if b.grpcStatus != "" {
		if v, err := strconv.Atoi(b.grpcStatus); err == nil && v >= 0 {
			x.GRPCStatus = v
		}
		x.GRPCMessage = cut(percentDecode(b.grpcMessage), maxGRPCMessage)
	}
	return true
}

func isGRPC(ct string) bool {
	return strings.HasPrefix(ct, "application/grpc") &&
		(len(ct) == len("application/grpc") || ct[len("application/grpc")] == '+' || ct[len("application/grpc")] == ';')
}

// grpcName splits /pkg.Service/Method.
func grpcName(path string) (service, method string) {
	if len(path) < 4 || path[0] != '/' {
		return "", ""
	}
	i := strings.IndexByte(path[1:], '/') + 1
	if i <= 1 || i == len(path)-1 || strings.IndexByte(path[i+1:], '/') >= 0 {
		return "", ""
	}
	return path[1:i], path[i+1:]
}

// percentDecode undoes grpc-message's percent-encoding; malformed escapes
// are kept as they are.
func percentDecode(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// cut shortens s to at most n bytes without splitting a UTF-8 sequence.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
