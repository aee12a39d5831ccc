package browser

import "time"

// Status of a step or journey.
type Status string

const (
	StatusUp   Status = "up"
	StatusDown Status = "down"
)

// Result is everything one Run observed. Secrets are masked in every string.
type Result struct {
	Journey    string
	Status     Status
	FailedStep int // -1 when every step passed
	Error      string
	ErrorKind  ErrorKind
	Steps      []StepResult
	Vitals     Vitals
	Console    []ConsoleEntry
	Failed     []FailedRequest
	ThirdParty []string // hostnames other than the first navigated host
	Values     map[string]any
	Shots      []Screenshot
	Started    time.Time
	Duration   time.Duration
	Limits     Enforced      // the cgroup limits in force, or why none
	Startup    time.Duration // from Run to a browser ready for the first step
	// HAR is a HAR 1.2 log of every request; auth and cookie header values,
	// cookie values and the journey's secrets are replaced by "***".
	HAR []byte
	// Traces are the W3C traces the page's requests carried (Journey.Propagation),
	// one per step that sent any; PropagationError says why some requests
	// went without.
	Traces           []StepTrace
	PropagationError string
	// DOM is document.documentElement.outerHTML after the last step, or of
	// the failing page; secrets masked, capped at 2 MiB.
	DOM string
}

// StepResult is the outcome of one step.
type StepResult struct {
	Index       int
	Action      string
	Description string
	Status      Status
	Duration    time.Duration
	Error       string
	ErrorKind   ErrorKind
	Vitals      *Vitals `json:",omitempty"` // set after goto
}

// Vitals in milliseconds (CLS is unitless).
type Vitals struct {
	LCP        float64
	LCPElement string
	CLS        float64
	INP        float64
	TBT        float64
	FCP        float64
	TTFB       float64
}

// ConsoleEntry is a console warning/error or an uncaught exception.
type ConsoleEntry struct {
	Level  string // warning, error, exception
	Text   string
	URL    string
	Line   int64 // 1-based; 0 when unknown
	Column int64
}

// FailedRequest is a request that failed at the network level or got >= 400.
type FailedRequest struct {
	URL    string
	Status int64 // 0 for network failures
	Reason string
	Type   string
}

// Screenshot is a PNG taken by a screenshot step, or at a failure (Name
// "failure").
type Screenshot struct {
	Step int
	Name string
	PNG  []byte
}

// StepTrace is the trace of the requests sent while one step ran.
type StepTrace struct {
	TraceID  string
	Step     int // index into Journey.Steps
	Requests int
}
