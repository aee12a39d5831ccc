package contract

import "time"

// Trace assembly: names, ids and payloads of AssembleTraces.
const (
	WorkflowAssembleTraces = "AssembleTraces"

	ActivityPlanTraceAssembly   = "PlanTraceAssembly"
	ActivityAssembleLateSpans   = "AssembleLateSpans"
	ActivityAssembleTraceWindow = "AssembleTraceWindow"
	ActivityAdvanceTraceMark    = "AdvanceTraceWatermark"

	AssembleScheduleID = "vigil-assemble-traces"

	// TaskQueueAssembly runs AssembleTraces and its activities, so a
	// backlog of spans never delays monitor runs or alerting.
	TaskQueueAssembly = "vigil-assembly"
)

// Defaults of AssembleInput.
const (
	DefaultTraceWindow  = 10 * time.Second
	DefaultTraceGrace   = time.Minute
	DefaultTraceMargin  = 30 * time.Second
	DefaultTraceSpans   = 20_000
	DefaultTraceWindows = 60
)

// AssembleInput configures AssembleTraces; zero values take the defaults.
type AssembleInput struct {
	// Window is the span of time one batch assembles: the traces whose
	// root starts in it.
	Window time.Duration `json:"window"`
	// Grace is how long a window stays open after it was assembled: a span
	// of it stored within Grace re-assembles its trace.
	Grace time.Duration `json:"grace"`
	// Margin is read before and after a window so that parents that
	// started earlier, and children that started later, are found.
	Margin time.Duration `json:"margin"`
	// MaxSpans bounds the spans one batch reads; a window holding more is
	// split.
	MaxSpans int `json:"max_spans"`
	// MaxWindows bounds the windows one run assembles before it continues
	// as new (catching up after downtime).
	MaxWindows int `json:"max_windows"`
}

// WithDefaults fills the zero fields.
func (in AssembleInput) WithDefaults() AssembleInput {
	if in.Window <= 0 {
		in.Window = DefaultTraceWindow
	}
	if in.Grace < 0 {
		in.Grace = 0
	} else if in.Grace == 0 {
		in.Grace = DefaultTraceGrace
	}
	if in.Margin <= 0 {
		in.Margin = DefaultTraceMargin
	}
	if in.MaxSpans <= 0 {
		in.MaxSpans = DefaultTraceSpans
	}
	if in.MaxWindows <= 0 {
		in.MaxWindows = DefaultTraceWindows
	}
	return in
}

// TracePlan is where assembly stands when a run starts.
type TracePlan struct {
	AssembledUntil time.Time `json:"assembled_until"` // windows before it are assembled
	StoredCursor   string    `json:"stored_cursor"`   // spans stored up to it were seen
	Now            time.Time `json:"now"`             // the activity's clock: windows ending before it are closed
}

// LateInput asks to re-assemble the windows of spans stored after Cursor.
type LateInput struct {
	Cursor         string        `json:"cursor"`
	AssembledUntil time.Time     `json:"assembled_until"`
	Window         time.Duration `json:"window"`
	Grace          time.Duration `json:"grace"`
	Margin         time.Duration `json:"margin"`
	MaxSpans       int           `json:"max_spans"`
}

// LateOutput says what the late spans changed.
type LateOutput struct {
	Next     string `json:"next"`      // the cursor after the spans read
	More     bool   `json:"more"`      // more spans were stored after Next
	Late     int    `json:"late"`      // spans stored after their window was assembled, within grace
	TooLate  int    `json:"too_late"`  // the same, after grace: stored, not assembled
	Windows  int    `json:"windows"`   // windows re-assembled
	Traces   int    `json:"traces"`    // traces written
	Deleted  int    `json:"deleted"`   // trace ids merged into another (their documents deleted)
	Linked   int    `json:"linked"`    // spans whose links changed
	SpanRead int    `json:"span_read"` // spans read
}

// WindowInput asks to assemble the traces whose root starts in [From, Until).
type WindowInput struct {
	From     time.Time     `json:"from"`
	Until    time.Time     `json:"until"`
	Margin   time.Duration `json:"margin"`
	MaxSpans int           `json:"max_spans"`
	// Truncate assembles what MaxSpans allows instead of reporting
	// TooMany (a window that cannot be split further).
	Truncate bool `json:"truncate,omitempty"`
}

// WindowOutput says what one window's assembly did.
type WindowOutput struct {
	TooMany bool `json:"too_many,omitempty"` // nothing written: split the window
	Spans   int  `json:"spans"`              // spans read, margins included
	Traces  int  `json:"traces"`
	Deleted int  `json:"deleted"` // trace ids merged into another (their documents deleted)
	Linked  int  `json:"linked"`
}

// AdvanceInput moves the watermark.
type AdvanceInput struct {
	AssembledUntil time.Time `json:"assembled_until"`
	StoredCursor   string    `json:"stored_cursor"`
}

// AssembleOutput sums one run of AssembleTraces.
type AssembleOutput struct {
	AssembledUntil time.Time `json:"assembled_until"`
	Windows        int       `json:"windows"`
	Traces         int       `json:"traces"`
	Late           int       `json:"late"`
	TooLate        int       `json:"too_late"`
	Behind         bool      `json:"behind,omitempty"` // continued as new to catch up
}
