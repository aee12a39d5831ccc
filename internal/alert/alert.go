// Package alert holds alert rules as code: the rules and channels users write
// under alerts/ in the monitors repository, their validation (with file, line
// and column, like monitors), and a pure evaluation engine that turns rules
// and recent results into one Alert per rule and group.
//
// The package does no I/O beyond reading the files it is given: the caller
// fetches results, keeps incidents and sends notifications.
package alert

import (
	"time"

	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
)

// Kinds of rules.
const (
	KindConsecutiveFailures = "consecutive_failures"
	KindFailureCount        = "failure_count"
	KindFailureRatio        = "failure_ratio"
	KindLatency             = "latency"
	KindNewError            = "new_error"
	KindErrorSpike          = "error_spike"
	KindUnexpectedResource  = "unexpected_resource"
	KindResponseHeader      = "response_header"
	KindNoData              = "no_data"
)

// Group labels.
const (
	LabelMonitor  = "monitor"
	LabelLocation = "location"
	LabelStep     = "step"
	LabelService  = "service"
	LabelDomain   = "domain"
	LabelHeader   = "header"
	LabelError    = "error"
)

// Severities.
const (
	SeverityCritical = "critical"
	SeverityWarning  = "warning"
	SeverityInfo     = "info"
)

// Channel types.
const (
	ChannelSlack   = "slack"
	ChannelWebhook = "webhook"
)

// Values of Rule.Expect and Rule.Target.
const (
	ExpectPresent = "present"
	ExpectAbsent  = "absent"
	ExpectMatches = "matches"

	TargetMonitor  = "monitor"
	TargetLocation = "location"
	TargetService  = "service"
)

// Defaults.
const (
	// EvaluationInterval is how often the listener evaluates the rules.
	EvaluationInterval  = 10 * time.Second
	DefaultResolveAfter = 2 * EvaluationInterval
	DefaultSeverity     = SeverityWarning
	DefaultMinResults   = 3
	DefaultMinCount     = 3
	DefaultPercentile   = 95
	// DefaultNoDataBaseline is how far back no_data looks for the locations
	// it expects to hear from.
	DefaultNoDataBaseline = time.Hour
)

// DefaultGroupBy is the grouping of a rule that names none.
var DefaultGroupBy = []string{LabelMonitor, LabelLocation}

// Set is every rule and channel of a monitors repository. It is stored in
// the catalog and sent through Temporal, hence JSON.
type Set struct {
	Rules    []Rule    `json:"rules"`
	Channels []Channel `json:"channels"`
}

// Rule is one alert rule. Fields that do not apply to its kind are zero.
// Secrets are never in a rule; they live in channels as references.
type Rule struct {
	Name      string   `json:"name"`
	Kind      string   `json:"kind"`
	Monitors  []string `json:"monitors,omitempty"`
	Tags      []string `json:"tags,omitempty"`
	Locations []string `json:"locations,omitempty"`
	Services  []string `json:"services,omitempty"`

	Threshold  int           `json:"threshold,omitempty"`
	Ratio      float64       `json:"ratio,omitempty"`
	MinResults int           `json:"min_results,omitempty"`
	MinCount   int           `json:"min_count,omitempty"`
	Window     time.Duration `json:"window,omitempty"`
	Baseline   time.Duration `json:"baseline,omitempty"`
	Factor     float64       `json:"factor,omitempty"`

	Measure    string  `json:"measure,omitempty"`
	Percentile float64 `json:"percentile,omitempty"`
	// Above is in milliseconds for time measures, unitless for vitals.cls.
	Above float64 `json:"above,omitempty"`
	Step  string  `json:"step,omitempty"`

	AllowedDomains []string `json:"allowed_domains,omitempty"`
	Header         string   `json:"header,omitempty"`
	Expect         string   `json:"expect,omitempty"`
	Matches        string   `json:"matches,omitempty"`

	Target string        `json:"target,omitempty"`
	For    time.Duration `json:"for,omitempty"`

	GroupBy      []string      `json:"group_by"`
	Severity     string        `json:"severity"`
	Channels     []string      `json:"channels,omitempty"`
	RemindEvery  time.Duration `json:"remind_every,omitempty"`
	ResolveAfter time.Duration `json:"resolve_after"`
	Condition    string        `json:"condition,omitempty"`

	Source Source `json:"source"`
}

// Channel is where notifications of a rule go. Token, WebhookURL and Secret
// are kept as written (`${secrets.NAME}`): the worker resolves them.
type Channel struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	Channel    string `json:"channel,omitempty"`
	Token      string `json:"token,omitempty"`
	WebhookURL string `json:"webhook_url,omitempty"`
	URL        string `json:"url,omitempty"`
	Secret     string `json:"secret,omitempty"`

	Source Source `json:"source"`
}

// Source locates a rule or channel in the monitors repository.
type Source struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
	// Monitors locates each item of Rule.Monitors, for ValidateAgainst.
	Monitors []Position `json:"monitors,omitempty"`
}

// Position is a 1-based line and column.
type Position struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// Alert is the state of one rule for one group at one evaluation.
type Alert struct {
	Rule string `json:"rule"`
	// Key is stable for a rule and group, and safe in a workflow id.
	Key          string            `json:"key"`
	Labels       map[string]string `json:"labels"`
	Firing       bool              `json:"firing"`
	Value        float64           `json:"value"`
	Summary      string            `json:"summary"`
	Severity     string            `json:"severity"`
	Channels     []string          `json:"channels,omitempty"`
	RemindEvery  time.Duration     `json:"remind_every,omitempty"`
	ResolveAfter time.Duration     `json:"resolve_after"`
	Evidence     Evidence          `json:"evidence"`
}

// Evidence points at the result that best explains an alert.
type Evidence struct {
	ResultID   string `json:"result_id,omitempty"`
	Monitor    string `json:"monitor,omitempty"`
	Location   string `json:"location,omitempty"`
	Step       string `json:"step,omitempty"`
	Error      string `json:"error,omitempty"`
	Assertion  string `json:"assertion,omitempty"`
	Commit     string `json:"commit,omitempty"`
	WorkflowID string `json:"workflow_id,omitempty"`
	RunID      string `json:"run_id,omitempty"`
	TraceID    string `json:"trace_id,omitempty"`
	// TraceIDs are all the traces the run started (the step's first).
	TraceIDs  []string  `json:"trace_ids,omitempty"`
	Confirmed bool      `json:"confirmed,omitempty"`
	At        time.Time `json:"at"`
}

// RuleError is a rule that could not be evaluated; the others were.
type RuleError struct {
	Rule string
	Err  error
}

func (e RuleError) Error() string { return "rule " + e.Rule + ": " + e.Err.Error() }

func (e RuleError) Unwrap() error { return e.Err }

// Data is what one evaluation sees.
type Data struct {
	Now time.Time
	// Results holds every result with @timestamp in [Now-Lookback, Now], in
	// any order; more is fine.
	Results  []result.Result
	Monitors []monitor.Monitor
	// LastSpan is the newest span time per service name.
	LastSpan map[string]time.Time
	// MonitorSince is when each monitor came into force (its first sync):
	// a monitor without results is silent only once it has been expected
	// for longer than its grace. Unknown monitors are never silent yet.
	MonitorSince map[string]time.Time
}
