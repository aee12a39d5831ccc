// Package monitor holds the monitor-as-code model: the YAML format users write,
// its validation (with file, line and column), its JSON Schema, and secret
// references. It does no I/O beyond reading the files it is given.
package monitor

import (
	"time"
)

// Types of monitors.
const (
	TypeHTTP    = "http"
	TypeTCP     = "tcp"
	TypeDNS     = "dns"
	TypeTLS     = "tls"
	TypeBrowser = "browser"
)

// DefaultLocation is the location a monitor runs in when it names none.
const DefaultLocation = "local"

// Monitor is one monitor definition. Values may hold `${secrets.NAME}`
// references; they are resolved only on the worker that runs the check, so a
// Monitor is safe to put in workflow inputs and in the store.
type Monitor struct {
	ID        string            `yaml:"id" json:"id" jsonschema:"required,pattern=^[a-z0-9][a-z0-9._-]{0\\,62}$,description=Stable identifier; names the Temporal Schedule vigil-monitor/<id>"`
	Name      string            `yaml:"name,omitempty" json:"name,omitempty" jsonschema:"description=Human-readable name (default: the id)"`
	Type      string            `yaml:"type" json:"type" jsonschema:"required,enum=http,enum=tcp,enum=dns,enum=tls,enum=browser,description=Kind of check; selects the block it needs: steps (http and browser) or tcp or dns or tls"`
	Schedule  Schedule          `yaml:"schedule" json:"schedule" jsonschema:"required,description=When the monitor runs: every or cron"`
	Timeout   Duration          `yaml:"timeout,omitempty" json:"timeout,omitempty" jsonschema:"description=Whole-check timeout (default 30s)"`
	Retries   int               `yaml:"retries,omitempty" json:"retries,omitempty" jsonschema:"minimum=0,maximum=10,description=Retries of an infrastructure error (not of a failed assertion)"`
	Confirm   *int              `yaml:"confirm,omitempty" json:"confirm,omitempty" jsonschema:"minimum=0,maximum=5,description=Re-checks of a failure before it counts as confirmed (default 1)"`
	Locations []string          `yaml:"locations,omitempty" json:"locations,omitempty" jsonschema:"description=Task queues (worker --location) that run this monitor (default [local])"`
	Tags      []string          `yaml:"tags,omitempty" json:"tags,omitempty" jsonschema:"description=Free-form tags for filtering"`
	Labels    map[string]string `yaml:"labels,omitempty" json:"labels,omitempty" jsonschema:"description=Key/value labels copied to every result"`
	Paused    bool              `yaml:"paused,omitempty" json:"paused,omitempty" jsonschema:"description=Keep the definition but do not run it"`
	// Steps of an http monitor, run in order; variables extracted by one step
	// are visible to the following ones.
	Steps []Step `yaml:"steps,omitempty" json:"steps,omitempty" jsonschema:"minItems=1,description=Requests of an http monitor; run in order"`
	// TCP, DNS and TLS are the targets of the simple types.
	TCP *TCPCheck `yaml:"tcp,omitempty" json:"tcp,omitempty" jsonschema:"description=Target of a tcp monitor"`
	DNS *DNSCheck `yaml:"dns,omitempty" json:"dns,omitempty" jsonschema:"description=Query of a dns monitor"`
	TLS *TLSCheck `yaml:"tls,omitempty" json:"tls,omitempty" jsonschema:"description=Target of a tls monitor"`
	// Resources fix a browser monitor's CPU and memory (its own cgroup),
	// instead of the worker's defaults: timings compare only under equal
	// resources.
	Resources *Resources `yaml:"resources,omitempty" json:"resources,omitempty" jsonschema:"description=CPU and memory of each browser run (browser monitors; default: the worker's)"`
	// Traceparent chooses which requests of an http or browser run carry a
	// W3C traceparent (default: all of an http run's, and a browser run's
	// to the origins its goto steps open).
	Traceparent *Traceparent `yaml:"traceparent,omitempty" json:"traceparent,omitempty" jsonschema:"description=Which requests carry a W3C traceparent so backend spans join the run's traces (http and browser monitors)"`
	// Assert holds the assertions of the simple types (tcp, dns, tls).
	Assert []string `yaml:"assert,omitempty" json:"assert,omitempty" jsonschema:"description=expr-lang expressions that must be true (tcp/dns/tls monitors)"`

	// Source is where the definition was read from; filled by the loader.
	Source Source `yaml:"-" json:"source"`
}

// Resources are a browser run's fixed CPU and memory.
type Resources struct {
	CPUs     float64 `yaml:"cpus,omitempty" json:"cpus,omitempty" jsonschema:"minimum=0.1,maximum=16,description=CPU time per wall second"`
	MemoryMB int     `yaml:"memory_mb,omitempty" json:"memory_mb,omitempty" jsonschema:"minimum=128,maximum=65536,description=Memory limit of the browser's process tree in MiB"`
}

// Traceparent configures trace context propagation. Third-party origins
// get none by default: the header would leak the run's ids to them and,
// cross-origin, can fail a CORS preflight that did not expect it.
type Traceparent struct {
	Off     bool     `yaml:"off,omitempty" json:"off,omitempty" jsonschema:"description=Send no traceparent at all"`
	Origins []string `yaml:"origins,omitempty" json:"origins,omitempty" jsonschema:"description=browser: more origins (scheme://host[:port]) whose requests carry one\\, besides those the goto steps open; * for every origin"`
}

// Source locates a definition in the monitors repository.
type Source struct {
	File string `json:"file"`
	Line int    `json:"line"`
}

// Schedule is an interval or a cron expression, exactly one of them.
type Schedule struct {
	Every Duration `yaml:"every,omitempty" json:"every,omitempty" jsonschema:"description=Interval such as 30s or 5m"`
	Cron  string   `yaml:"cron,omitempty" json:"cron,omitempty" jsonschema:"description=Cron expression (5 fields) in UTC"`
}

// Step is one request of an http monitor, or one action of a browser
// monitor (exactly one of the browser fields, or assert alone).
type Step struct {
	Name    string            `yaml:"name,omitempty" json:"name,omitempty" jsonschema:"description=Step name shown in results"`
	Request Request           `yaml:"request,omitempty" json:"request,omitempty" jsonschema:"description=http: the HTTP request of the step (required)"`
	Extract map[string]string `yaml:"extract,omitempty" json:"extract,omitempty" jsonschema:"description=http: variable name to expr-lang expression over the response (json\\, headers\\, body\\, status)"`
	Assert  []string          `yaml:"assert,omitempty" json:"assert,omitempty" jsonschema:"description=http: expressions over the response; browser: expressions over the page (url\\, title\\, text(sel)\\, count(sel)\\, visible(sel)\\, vitals\\, vars) that must be true"`

	Goto       string            `yaml:"goto,omitempty" json:"goto,omitempty" jsonschema:"description=browser: open this URL and wait for the load event"`
	Click      string            `yaml:"click,omitempty" json:"click,omitempty" jsonschema:"description=browser: click the element matching this CSS selector"`
	Type       *FieldInput       `yaml:"type,omitempty" json:"type,omitempty" jsonschema:"description=browser: type a value into a field"`
	Select     *FieldInput       `yaml:"select,omitempty" json:"select,omitempty" jsonschema:"description=browser: choose an option of a <select>"`
	Press      string            `yaml:"press,omitempty" json:"press,omitempty" jsonschema:"description=browser: press a key (Enter\\, Tab\\, Escape...)"`
	Hover      string            `yaml:"hover,omitempty" json:"hover,omitempty" jsonschema:"description=browser: move the mouse over the element matching this CSS selector"`
	WaitFor    *WaitFor          `yaml:"wait_for,omitempty" json:"wait_for,omitempty" jsonschema:"description=browser: wait for a selector\\, a text\\, a URL or network idle"`
	Eval       *Eval             `yaml:"eval,omitempty" json:"eval,omitempty" jsonschema:"description=browser: run JavaScript; the result is vars.NAME"`
	Screenshot string            `yaml:"screenshot,omitempty" json:"screenshot,omitempty" jsonschema:"description=browser: capture the viewport under this name"`
	Viewport   *ViewportSize     `yaml:"viewport,omitempty" json:"viewport,omitempty" jsonschema:"description=browser: resize the viewport"`
	Header     map[string]string `yaml:"header,omitempty" json:"header,omitempty" jsonschema:"description=browser: send these headers with every later request"`
	Cookie     *Cookie           `yaml:"cookie,omitempty" json:"cookie,omitempty" jsonschema:"description=browser: set a cookie"`
	Timeout    Duration          `yaml:"timeout,omitempty" json:"timeout,omitempty" jsonschema:"description=browser: how long the step may take (default 15s)"`
}

// Request is an HTTP request; strings may hold ${vars.NAME} and ${secrets.NAME}.
type Request struct {
	Method  string            `yaml:"method,omitempty" json:"method,omitempty" jsonschema:"description=HTTP method (default GET)"`
	URL     string            `yaml:"url" json:"url" jsonschema:"required,description=Absolute http or https URL; may hold ${vars.NAME} and ${secrets.NAME}"`
	Headers map[string]string `yaml:"headers,omitempty" json:"headers,omitempty" jsonschema:"description=Request headers"`
	Query   map[string]string `yaml:"query,omitempty" json:"query,omitempty" jsonschema:"description=Query parameters added to the URL"`
	Body    string            `yaml:"body,omitempty" json:"body,omitempty" jsonschema:"description=Raw request body (not with json)"`
	JSON    any               `yaml:"json,omitempty" json:"json,omitempty" jsonschema:"description=Body sent as JSON (sets Content-Type; not with body)"`
	// FollowRedirects defaults to true; MaxRedirects to 10.
	FollowRedirects *bool     `yaml:"follow_redirects,omitempty" json:"follow_redirects,omitempty"`
	MaxRedirects    int       `yaml:"max_redirects,omitempty" json:"max_redirects,omitempty"`
	TLS             TLSClient `yaml:"tls,omitempty" json:"tls,omitempty"`
}

// TLSClient tunes the TLS client of a request.
type TLSClient struct {
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify,omitempty" json:"insecure_skip_verify,omitempty"`
	ServerName         string `yaml:"server_name,omitempty" json:"server_name,omitempty"`
	CAFile             string `yaml:"ca_file,omitempty" json:"ca_file,omitempty"`
}

// TCPCheck connects, optionally sends a payload and expects a reply substring.
type TCPCheck struct {
	Host   string `yaml:"host" json:"host" jsonschema:"required"`
	Port   int    `yaml:"port" json:"port" jsonschema:"required,minimum=1,maximum=65535"`
	Send   string `yaml:"send,omitempty" json:"send,omitempty" jsonschema:"description=Payload written after connecting"`
	Expect string `yaml:"expect,omitempty" json:"expect,omitempty" jsonschema:"description=Substring the reply must contain"`
}

// DNSCheck resolves a name, through a given server when set.
type DNSCheck struct {
	Name   string `yaml:"name" json:"name" jsonschema:"required,description=Name to resolve"`
	Type   string `yaml:"type,omitempty" json:"type,omitempty" jsonschema:"enum=A,enum=AAAA,enum=CNAME,enum=MX,enum=TXT,enum=NS,description=Record type (default A)"`
	Server string `yaml:"server,omitempty" json:"server,omitempty" jsonschema:"description=host:port of the resolver (default: the system's)"`
}

// TLSCheck connects, verifies the chain and reports the certificate expiry.
type TLSCheck struct {
	Host          string   `yaml:"host" json:"host" jsonschema:"required"`
	Port          int      `yaml:"port,omitempty" json:"port,omitempty" jsonschema:"minimum=1,maximum=65535,description=default 443"`
	ServerName    string   `yaml:"server_name,omitempty" json:"server_name,omitempty"`
	MinValidFor   Duration `yaml:"min_valid_for,omitempty" json:"min_valid_for,omitempty" jsonschema:"description=Fail when the leaf expires sooner (default 168h)"`
	CAFile        string   `yaml:"ca_file,omitempty" json:"ca_file,omitempty"`
	SkipChainTest bool     `yaml:"skip_chain_verify,omitempty" json:"skip_chain_verify,omitempty"`
}

// Duration is a time.Duration written as "30s" in YAML and JSON.
type Duration time.Duration
