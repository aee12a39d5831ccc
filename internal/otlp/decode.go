package otlp

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"unicode/utf8"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// decodeProtobuf parses a binary ExportTraceServiceRequest. Go's protobuf
// refuses strings that are not UTF-8, which other senders do not check; so
// on failure the body is retried with invalid bytes replaced (sanitizeUTF8)
// rather than refusing every span for one bad byte.
func decodeProtobuf(body []byte) (*coltracepb.ExportTraceServiceRequest, error) {
	req := &coltracepb.ExportTraceServiceRequest{}
	err := proto.Unmarshal(body, req)
	if err == nil {
		return req, nil
	}
	fixed, changed, serr := sanitizeUTF8(body, req.ProtoReflect().Descriptor())
	if serr != nil || !changed {
		return nil, fmt.Errorf("decoding protobuf ExportTraceServiceRequest: %w", err)
	}
	req.Reset()
	if err := proto.Unmarshal(fixed, req); err != nil {
		return nil, fmt.Errorf("decoding protobuf ExportTraceServiceRequest: %w", err)
	}
	return req, nil
}

// decodeJSON parses an OTLP/JSON ExportTraceServiceRequest.
//
// protojson handles the rest of OTLP/JSON (lowerCamelCase or original field
// names, enums as names or numbers, 64-bit integers as strings or numbers)
// but expects base64 where OTLP/JSON has hex ids. Hex digits are all base64
// digits, and a correct id (32 or 16 hex digits, a multiple of 4) decodes
// as base64 without loss, so protojson is left to decode ids as base64 and
// fixHexIDs turns the bytes back into the text and that into the id.
// A malformed id ends up the wrong length, rejecting that span only.
func decodeJSON(body []byte) (*coltracepb.ExportTraceServiceRequest, error) {
	if !utf8.Valid(body) {
		body = bytes.ToValidUTF8(body, []byte("\uFFFD"))
	}
	req := &coltracepb.ExportTraceServiceRequest{}
	// the spec says unknown fields are ignored
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(body, req); err != nil {
		return nil, fmt.Errorf("decoding OTLP/JSON ExportTraceServiceRequest: %w", err)
	}
	fixHexIDs(req)
	return req, nil
}

func fixHexIDs(req *coltracepb.ExportTraceServiceRequest) {
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				fixSpanIDs(s)
			}
		}
	}
}

func fixSpanIDs(s *tracepb.Span) {
	s.TraceId = hexID(s.TraceId)
	s.SpanId = hexID(s.SpanId)
	s.ParentSpanId = hexID(s.ParentSpanId)
	for _, l := range s.Links {
		if l != nil {
			l.TraceId = hexID(l.TraceId)
			l.SpanId = hexID(l.SpanId)
		}
	}
}

// badID is what a JSON id that is not hex becomes: non-empty (so an
// invalid parent id is not mistaken for none, nor all zeros) and of no
// valid length.
func badID() []byte { return []byte{0xff} }

// hexID turns bytes protojson decoded from base64 back into the JSON text
// and decodes that as hex.
func hexID(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	var text [64]byte
	if base64.StdEncoding.EncodedLen(len(b)) > len(text) {
		return badID()
	}
	n := base64.StdEncoding.EncodedLen(len(b))
	base64.StdEncoding.Encode(text[:n], b)
	id := make([]byte, n/2)
	if _, err := hex.Decode(id, text[:n]); err != nil {
		return badID()
	}
	return id
}
