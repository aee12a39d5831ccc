// Package result holds the document a check writes: one per monitor run,
// attempt and location. Field names follow Elastic Synthetics documents
// (monitor.*, summary.*, synthetics.*, url.*, http.response.*, @timestamp) so
// the Elasticsearch backend stores them unchanged.
package result

import "time"

// Status values of monitor.status and synthetics.step.status.
const (
	StatusUp   = "up"
	StatusDown = "down"
)

// Error types.
const (
	ErrorAssertion = "assertion" // the target answered but an assertion failed
	ErrorIO        = "io"        // the target could not be reached or answered badly
	ErrorConfig    = "config"    // the definition could not be run (bad secret, bad URL)
)

// Result is the outcome of one check attempt of one monitor at one location.
type Result struct {
	// ID is deterministic (workflow, run, location, attempt) so a retried
	// write never stores it twice.
	ID        string    `json:"id"`
	Timestamp time.Time `json:"@timestamp"`
	Monitor   Monitor   `json:"monitor"`
	Observer  Observer  `json:"observer"`
	Summary   Summary   `json:"summary"`
	URL       *URL      `json:"url,omitempty"`
	Error     *Error    `json:"error,omitempty"`
	// Trace is the W3C trace the run's first requests carried (traceparent):
	// the first of Vigil.Traces, kept as ECS's single trace.id.
	Trace   *Trace   `json:"trace,omitempty"`
	Tags    []string `json:"tags,omitempty"`
	Steps   []Step   `json:"steps"`
	Browser *Browser `json:"browser,omitempty"`
	Vigil   Vigil    `json:"vigil"`
}

// Browser is what a browser journey measured (browser.* in Synthetics).
type Browser struct {
	// Startup is from the start of the run to a browser ready for the
	// first step.
	Startup    Micros           `json:"startup"`
	Experience Experience       `json:"experience"`
	Console    []ConsoleMessage `json:"console,omitempty"`
	Failed     []FailedRequest  `json:"failed_requests,omitempty"`
	ThirdParty []string         `json:"third_party_domains,omitempty"`
	// Screenshots counts the screenshots taken (stored as attachments later).
	Screenshots int `json:"screenshots,omitempty"`
	// Attachments are the files of the run in blob storage (screenshots,
	// HAR, DOM copy); AttachmentError says why some could not be stored.
	Attachments     []Attachment `json:"attachments,omitempty"`
	AttachmentError string       `json:"attachment_error,omitempty"`
	// TraceparentError says why some requests went without a traceparent.
	TraceparentError string `json:"traceparent_error,omitempty"`
	// Limits are the fixed resources the browser ran with (its own cgroup),
	// or why it ran without: timings compare only under equal limits.
	Limits BrowserLimits `json:"limits"`
}

// Attachment is one stored file of a run.
type Attachment struct {
	Name        string `json:"name"` // file name, e.g. screenshot-3-checkout.png
	Key         string `json:"key"`  // key in the attachments bucket
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// BrowserLimits are the cgroup limits in force for one browser.
type BrowserLimits struct {
	CPUs            float64 `json:"cpus,omitempty"`
	MemoryBytes     int64   `json:"memory_bytes,omitempty"`
	Cgroup          string  `json:"cgroup,omitempty"` // v1 or v2
	Reason          string  `json:"reason,omitempty"` // why no limit was in force
	PeakMemoryBytes int64   `json:"peak_memory_bytes,omitempty"`
}

// Experience holds the Web Vitals of the journey, as browser.experience.*
// (milliseconds; CLS unitless).
type Experience struct {
	LCP        float64 `json:"lcp"`
	LCPElement string  `json:"lcp_element,omitempty"`
	CLS        float64 `json:"cls"`
	INP        float64 `json:"inp"`
	TBT        float64 `json:"tbt"`
	FCP        float64 `json:"fcp"`
	TTFB       float64 `json:"ttfb"`
}

// ConsoleMessage is a console warning or error, or an uncaught exception.
type ConsoleMessage struct {
	Level  string `json:"level"`
	Text   string `json:"text"`
	URL    string `json:"url,omitempty"`
	Line   int64  `json:"line,omitempty"`
	Column int64  `json:"column,omitempty"`
}

// FailedRequest is a request that failed or got a status of 400 or more.
type FailedRequest struct {
	URL    string `json:"url"`
	Status int64  `json:"status,omitempty"`
	Reason string `json:"reason,omitempty"`
	Type   string `json:"type,omitempty"`
}

// Monitor is the monitor.* group.
type Monitor struct {
	ID         string   `json:"id"`
	Name       string   `json:"name,omitempty"`
	Type       string   `json:"type"`
	Status     string   `json:"status"`
	CheckGroup string   `json:"check_group"`
	Duration   Micros   `json:"duration"`
	Timespan   Timespan `json:"timespan"`
}

// Micros is Elastic's {"us": N} duration shape.
type Micros struct {
	US int64 `json:"us"`
}

// Timespan is when the check ran.
type Timespan struct {
	GTE time.Time `json:"gte"`
	LT  time.Time `json:"lt"`
}

// Observer is where the check ran (observer.name = location).
type Observer struct {
	Name     string `json:"name"`
	Hostname string `json:"hostname,omitempty"`
	Geo      Geo    `json:"geo"`
}

// Geo names the location.
type Geo struct {
	Name string `json:"name"`
}

// Summary counts up and down steps (Synthetics: summary.up/down).
type Summary struct {
	Up   int `json:"up"`
	Down int `json:"down"`
}

// Trace is trace.* (ECS): the id the run's requests propagated.
type Trace struct {
	ID string `json:"id"`
}

// URL is the url.* group.
type URL struct {
	Full   string `json:"full"`
	Scheme string `json:"scheme,omitempty"`
	Domain string `json:"domain,omitempty"`
	Port   int    `json:"port,omitempty"`
	Path   string `json:"path,omitempty"`
}

// Error says why a check is down.
type Error struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// Step is one step, shaped like a Synthetics step/end document.
type Step struct {
	Synthetics StepSynthetics `json:"synthetics"`
	URL        *URL           `json:"url,omitempty"`
	HTTP       *HTTP          `json:"http,omitempty"`
	Timings    Timings        `json:"timings"`
	Assertions []Assertion    `json:"assertions,omitempty"`
	Extracted  []string       `json:"extracted,omitempty"` // names only: values may be sensitive
	Error      *Error         `json:"error,omitempty"`
	// Details holds facts of the simple types (resolved addresses, certificate
	// expiry, reply excerpt).
	Details map[string]any `json:"details,omitempty"`
}

// StepSynthetics is synthetics.type and synthetics.step.*.
type StepSynthetics struct {
	Type string   `json:"type"` // always "step/end"
	Step StepInfo `json:"step"`
}

// StepInfo is synthetics.step.*.
type StepInfo struct {
	Index    int    `json:"index"`
	Name     string `json:"name"`
	Status   string `json:"status"`
	Duration Micros `json:"duration"`
}

// HTTP is http.request/response.*.
type HTTP struct {
	Request  HTTPRequest  `json:"request"`
	Response HTTPResponse `json:"response"`
}

// HTTPRequest is http.request.*.
type HTTPRequest struct {
	Method string `json:"method"`
}

// HTTPResponse is http.response.*.
type HTTPResponse struct {
	StatusCode int               `json:"status_code"`
	Headers    map[string]string `json:"headers,omitempty"`
	Body       Body              `json:"body"`
	MimeType   string            `json:"mime_type,omitempty"`
}

// Body keeps the size and the first bytes of a response body.
type Body struct {
	Bytes     int64  `json:"bytes"`
	Content   string `json:"content,omitempty"`
	Truncated bool   `json:"truncated,omitempty"`
}

// Timings of one request, in microseconds (from net/http/httptrace); zero
// when the phase did not happen (reused connection, plain HTTP).
type Timings struct {
	DNS       Micros `json:"dns"`
	Connect   Micros `json:"connect"`
	TLS       Micros `json:"tls"`
	FirstByte Micros `json:"first_byte"`
	Total     Micros `json:"total"`
}

// Assertion is one expression and its outcome.
type Assertion struct {
	Expression string `json:"expression"`
	Passed     bool   `json:"passed"`
	Message    string `json:"message,omitempty"`
}

// Vigil holds what Synthetics has no field for.
type Vigil struct {
	WorkflowID  string     `json:"workflow_id,omitempty"`
	RunID       string     `json:"run_id,omitempty"`
	Attempt     int        `json:"attempt"`
	Confirmed   bool       `json:"confirmed"` // a failure seen again on re-check, or an up
	Commit      string     `json:"commit,omitempty"`
	SourceFile  string     `json:"source_file,omitempty"`
	ScheduledAt *time.Time `json:"scheduled_at,omitempty"`
	StartedAt   time.Time  `json:"started_at"`
	FinishedAt  time.Time  `json:"finished_at"`
	StoredAt    *time.Time `json:"stored_at,omitempty"`
	// Traces are the W3C traces the run's requests started, one per step
	// that sent any: the backend spans they caused carry these ids.
	Traces []RunTrace `json:"traces,omitempty"`
	// SlowestSpan is the slowest backend span of all the run's traces. Spans
	// arrive after the run, so it is resolved when the result is read
	// (runtrace.Resolve), not stored.
	SlowestSpan *SpanRef `json:"slowest_span,omitempty"`
	// TraceError says why traces could not be resolved at read time.
	TraceError string `json:"trace_error,omitempty"`
}

// RunTrace is one trace a run started.
type RunTrace struct {
	ID string `json:"id"` // 32 hex digits
	// Step is the 1-based index of the step whose requests carried it.
	Step     int    `json:"step"`
	StepName string `json:"step_name,omitempty"`
	// Requests counts the requests that carried it.
	Requests int `json:"requests"`
	// Spans and SlowestSpan are resolved at read time, like Vigil.SlowestSpan.
	Spans       int      `json:"spans,omitempty"`
	SlowestSpan *SpanRef `json:"slowest_span,omitempty"`
}

// SpanRef names one stored backend span.
type SpanRef struct {
	Service  string `json:"service"`
	Name     string `json:"name"`
	Duration Micros `json:"duration"`
	SpanID   string `json:"span_id"`
	TraceID  string `json:"trace_id"`
	Step     int    `json:"step,omitempty"` // the step whose trace holds it
}

// TraceIDs lists the run's traces, the legacy single trace.id when the
// result predates Vigil.Traces.
func (r *Result) TraceIDs() []string {
	var ids []string
	for _, t := range r.Vigil.Traces {
		ids = append(ids, t.ID)
	}
	if len(ids) == 0 && r.Trace != nil && r.Trace.ID != "" {
		ids = append(ids, r.Trace.ID)
	}
	return ids
}

// Up reports whether the result is up.
func (r *Result) Up() bool { return r.Monitor.Status == StatusUp }
