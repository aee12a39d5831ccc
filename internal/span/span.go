// Package span holds the document the node agent (and later the other inputs)
// writes: one per request/response pair seen on a connection. Field names
// follow Elastic APM span documents (trace.id, span.id, parent.id, span.*,
// service.*, process.*, container.*, kubernetes.*, http.*, source/destination)
// so the Elasticsearch backend stores them unchanged and Kibana can show them.
package span

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// Kinds of span, as OpenTelemetry names them.
const (
	KindServer = "server" // the traced process answered the request
	KindClient = "client" // the traced process sent the request
	// OpenTelemetry's other kinds, as OTLP senders report them.
	KindInternal = "internal"
	KindProducer = "producer"
	KindConsumer = "consumer"
)

// Outcomes, as Elastic APM names them (event.outcome).
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
	OutcomeUnknown = "unknown"
)

// Sources say which input produced a span.
const (
	SourceEBPF     = "ebpf"
	SourceDatagram = "datagram" // an in-process agent's UDP datagram
	SourceOTLP     = "otlp"
)

// Span is one request/response pair.
type Span struct {
	// ID is deterministic (see NewID) so a span written twice after a retry
	// or a spool replay is stored once.
	ID          string      `json:"id"`
	Timestamp   time.Time   `json:"@timestamp"` // start of the request
	Trace       Trace       `json:"trace"`
	Parent      *Parent     `json:"parent,omitempty"`
	Span        Info        `json:"span"`
	Service     Service     `json:"service"`
	Process     Process     `json:"process"`
	Container   *Container  `json:"container,omitempty"`
	Kubernetes  *Kubernetes `json:"kubernetes,omitempty"`
	Source      Endpoint    `json:"source"`      // the client end of the connection
	Destination Endpoint    `json:"destination"` // the server end of the connection
	HTTP        *HTTP       `json:"http,omitempty"`
	DB          *DB         `json:"db,omitempty"`  // SQL and Redis calls
	DNS         *DNS        `json:"dns,omitempty"` // DNS lookups
	Event       Event       `json:"event"`
	OTel        *OTel       `json:"otel,omitempty"` // what OTLP senders said that has no field above
	Vigil       Vigil       `json:"vigil"`
}

// Trace is trace.id: from the traffic's traceparent when it carried one,
// otherwise generated.
type Trace struct {
	ID string `json:"id"`
}

// Parent is parent.id.
type Parent struct {
	ID string `json:"id"`
}

// Info is span.*.
type Info struct {
	ID      string `json:"id"`      // 16 hex digits
	Kind    string `json:"kind"`    // KindServer or KindClient
	Name    string `json:"name"`    // "GET /path"
	Type    string `json:"type"`    // "external" for clients, "request" for servers
	Subtype string `json:"subtype"` // protocol: "http"
	// Action is the operation a configured pattern named (datagrams:
	// "create charge"), as Elastic APM's span.action.
	Action   string `json:"action,omitempty"`
	Duration Micros `json:"duration"`
}

// Micros is Elastic's {"us": N} duration shape.
type Micros struct {
	US int64 `json:"us"`
}

// Service is service.*.
type Service struct {
	Name   string         `json:"name"`
	Node   ServiceNode    `json:"node"`
	Target *ServiceTarget `json:"target,omitempty"` // what a client span called
}

// ServiceTarget is Elastic APM's service.target: the downstream a client
// span called, e.g. {Name: "stripe", Type: "external_api"}.
type ServiceTarget struct {
	Name string `json:"name"`
	Type string `json:"type,omitempty"`
}

// ServiceNode is service.node.* (the host the agent runs on).
type ServiceNode struct {
	Name string `json:"name,omitempty"`
}

// Process is process.*.
type Process struct {
	PID        int    `json:"pid"`
	Executable string `json:"executable,omitempty"`
	Name       string `json:"name,omitempty"`
	// Thread is the thread that moved the request's bytes (process.thread.*):
	// where a runtime serves each request on its own thread, the link
	// between a request and the calls it makes.
	Thread *Thread `json:"thread,omitempty"`
}

// Thread is process.thread.*.
type Thread struct {
	ID int `json:"id"`
}

// Container is container.* (from the cgroup path).
type Container struct {
	ID string `json:"id"`
}

// Kubernetes is kubernetes.* (from the cgroup path).
type Kubernetes struct {
	Pod       KubernetesPod       `json:"pod"`
	Container KubernetesContainer `json:"container,omitempty"`
}

// KubernetesPod is kubernetes.pod.*.
type KubernetesPod struct {
	UID string `json:"uid"`
}

// KubernetesContainer is kubernetes.container.*.
type KubernetesContainer struct {
	Name string `json:"name,omitempty"`
}

// Endpoint is source.* or destination.*.
type Endpoint struct {
	IP     string `json:"ip,omitempty"`
	Domain string `json:"domain,omitempty"` // a host name, when that is all the source knows
	Port   int    `json:"port,omitempty"`
}

// HTTP is http.*.
type HTTP struct {
	Version  string       `json:"version,omitempty"` // "1.1"
	Request  HTTPRequest  `json:"request"`
	Response HTTPResponse `json:"response"`
}

// HTTPRequest is http.request.* plus the target.
type HTTPRequest struct {
	Method     string `json:"method"`
	Scheme     string `json:"scheme,omitempty"` // when the source knows it (datagrams, OTLP)
	Path       string `json:"path"`             // the request target as sent, query included
	Host       string `json:"host,omitempty"`   // the Host header
	Bytes      int64  `json:"bytes"`            // headers and body on the wire
	BodyBytes  int64  `json:"body_bytes"`
	TraceState string `json:"tracestate,omitempty"`
}

// HTTPResponse is http.response.*.
type HTTPResponse struct {
	StatusCode int   `json:"status_code,omitempty"` // 0 when no response was seen
	Bytes      int64 `json:"bytes"`
	BodyBytes  int64 `json:"body_bytes"`
}

// Event is event.*.
type Event struct {
	Outcome string `json:"outcome"`
}

// Vigil holds what Elastic APM has no field for.
type Vigil struct {
	Source string `json:"source"` // SourceEBPF ...
	// Incomplete is set when part of the exchange was not seen (joined
	// mid-way, bytes dropped, connection closed early); such spans never
	// carry guessed values.
	Incomplete bool   `json:"incomplete,omitempty"`
	Reason     string `json:"reason,omitempty"` // why Incomplete
	// Format is the input's wire format and version: "datagram/0",
	// "datagram/1", "otlp/protobuf", "otlp/json".
	Format string `json:"format,omitempty"`
	// ConnID names the connection (agent host, pid, fd, open time) so spans
	// of one connection can be grouped.
	ConnID string `json:"conn_id,omitempty"`
	// TraceFromTraffic is true when Trace.ID and Parent came from a
	// traceparent header rather than being generated.
	TraceFromTraffic bool `json:"trace_from_traffic,omitempty"`
	// ParentHow and ParentConfidence say how correlation linked the span to
	// its parent when the traffic did not ("4-tuple"), and how surely.
	ParentHow        string  `json:"parent_how,omitempty"`
	ParentConfidence float64 `json:"parent_confidence,omitempty"`
	// EndThread is the thread that moved the response's last bytes (the
	// request's is Process.Thread): where a runtime moves a request
	// between threads, the thread of one call's end is often that of the
	// next call's start.
	EndThread int `json:"end_thread,omitempty"`
	// Tokens are keyed hashes of the identifying values the span's bytes
	// carried but the span may not store in clear (SQL literals, bind
	// parameters): equal values give equal tokens in one agent, so
	// in-process correlation can tell which request a call served, while
	// the values cannot be read back.
	Tokens   []string   `json:"tokens,omitempty"`
	StoredAt *time.Time `json:"stored_at,omitempty"`
}

// End is when the span ended.
func (s *Span) End() time.Time {
	return s.Timestamp.Add(time.Duration(s.Span.Duration.US) * time.Microsecond)
}

// NewID derives a stable 16-hex-digit id from the parts that identify a span
// (host, connection, index of the exchange on it): replays produce the same id.
func NewID(parts ...any) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%v\x00", p)
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// IDOf is NewID for the agent's hot path: a 64-bit FNV-1a over a string
// and numbers, without formatting. Stable across processes and versions.
func IDOf(s string, nums ...uint64) string {
	h := IDSeed(s)
	for _, n := range nums {
		h = IDMix(h, n)
	}
	var buf [16]byte
	const digits = "0123456789abcdef"
	for i := 15; i >= 0; i-- {
		buf[i] = digits[h&0xf]
		h >>= 4
	}
	return string(buf[:])
}

// IDSeed and IDMix are IDOf's hash (FNV-1a over the string, then each
// number's eight bytes, least significant first), for callers that hash a
// key once and mix in the numbers per span: IDOf(s, a, b) is
// IDMix(IDMix(IDSeed(s), a), b) in 16 hex digits.
func IDSeed(s string) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return h
}

// IDMix mixes n into the hash h (see IDSeed).
func IDMix(h, n uint64) uint64 {
	for range 8 {
		h = (h ^ (n & 0xff)) * fnvPrime
		n >>= 8
	}
	return h
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// TimeOrderedID prefixes a span id with its start time (13 hex digits of
// Unix microseconds): stores index ids in time order, so inserts append
// instead of touching random pages. Still deterministic for replays.
func TimeOrderedID(start time.Time, spanID string) string {
	const digits = "0123456789abcdef"
	var buf [13]byte
	us := uint64(start.UnixMicro())
	for i := 12; i >= 0; i-- {
		buf[i] = digits[us&0xf]
		us >>= 4
	}
	return string(buf[:]) + spanID
}

func validKind(k string) bool {
	switch k {
	case KindServer, KindClient, KindInternal, KindProducer, KindConsumer:
		return true
	}
	return false
}

// Validate reports what makes a span unstorable.
func (s *Span) Validate() error {
	switch {
	case s.ID == "":
		return fmt.Errorf("span has no id")
	case s.Timestamp.IsZero():
		return fmt.Errorf("span %s has no @timestamp", s.ID)
	case s.Service.Name == "":
		return fmt.Errorf("span %s has no service.name", s.ID)
	case !validKind(s.Span.Kind):
		return fmt.Errorf("span %s has kind %q, want one of %q, %q, %q, %q, %q", s.ID, s.Span.Kind,
			KindServer, KindClient, KindInternal, KindProducer, KindConsumer)
	}
	return nil
}
