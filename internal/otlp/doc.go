// Package otlp receives OpenTelemetry traces over OTLP/HTTP (POST
// /v1/traces) and turns them into span.Span documents for a Sink.
//
// Both OTLP/HTTP encodings are accepted, optionally gzip-compressed:
// binary protobuf (application/x-protobuf) and OTLP/JSON
// (application/json). OTLP/JSON differs from the canonical protobuf JSON
// mapping in one way that matters here: trace and span ids are hex, not
// base64 (see decodeJSON for how that is handled).
//
// Conversion maps what Elastic APM has a field for (ids, kind, times,
// service, process, container, Kubernetes, HTTP, endpoints, outcome) and
// keeps everything else under span.OTel, within configurable Limits so
// that one sender cannot make documents unboundedly large. A span with an
// invalid trace, span or parent id or no start time is rejected and counted
// in the response's partial_success, never stored with a guessed value.
//
// Responses follow the OTLP/HTTP specification: 200 with an
// ExportTraceServiceResponse, 400 with a google.rpc.Status for a malformed
// body, 405, 413, 415, and 429/503 with Retry-After when the sink cannot
// take the spans now, which OTLP exporters retry.
package otlp
