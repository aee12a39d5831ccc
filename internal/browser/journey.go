// Package browser runs scripted browser journeys in a fresh headless Chromium
// and reports per-step results, Web Vitals, console errors and failed requests.
package browser

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Actions understood by Step.Action.
const (
	// ActionGoto navigates to URL and waits for the load event.
	ActionGoto = "goto"
	// ActionClick clicks the first element matching Selector (waits until visible).
	ActionClick = "click"
	// ActionType types Value into Selector. Secret masks Value everywhere.
	ActionType = "type"
	// ActionSelect sets the <select> at Selector to the option with Value.
	ActionSelect = "select"
	// ActionPress sends the key Value ("Enter", "Tab", "Escape", ... or plain
	// text), after focusing Selector when it is set.
	ActionPress = "press"
	// ActionHover moves the mouse over the centre of Selector.
	ActionHover = "hover"
	// ActionWaitFor waits until the condition in State holds:
	// "visible" (default) or "hidden" for Selector, "text" for Text inside
	// Selector (or the body), "url" for URL as a regular expression matching
	// the page URL, "network_idle" for no request in flight during 500ms.
	ActionWaitFor = "wait_for"
	// ActionAssert evaluates Expr (expr-lang) and fails unless it is true. The
	// environment has url, title, text(sel), count(sel), visible(sel),
	// vitals.lcp/cls/fcp/ttfb/inp/tbt and every eval result by its Name.
	ActionAssert = "assert"
	// ActionEval runs the JavaScript Script and stores its result under Name.
	ActionEval = "eval"
	// ActionScreenshot captures the viewport as PNG into Result.Screenshots.
	ActionScreenshot = "screenshot"
	// ActionViewport resizes the viewport to Width x Height.
	ActionViewport = "viewport"
	// ActionHeader sends Headers with every later request.
	ActionHeader = "header"
	// ActionCookie sets the cookie Name=Value for URL (default: the first
	// navigated URL). Secret masks Value.
	ActionCookie = "cookie"
)

// Wait states for ActionWaitFor.
const (
	StateVisible     = "visible"
	StateHidden      = "hidden"
	StateText        = "text"
	StateURL         = "url"
	StateNetworkIdle = "network_idle"
)

// Step is one action of a journey; which fields matter depends on Action.
type Step struct {
	Action   string
	Selector string // CSS selector
	URL      string
	Value    string
	Text     string
	State    string // wait_for condition
	Expr     string // assert expression
	Script   string // eval JavaScript
	Name     string // eval result name, cookie name, screenshot name
	Timeout  time.Duration
	Secret   bool // Value must never appear in results, errors or logs
	Width    int
	Height   int
	Headers  map[string]string
}

// Viewport is the size of the emulated screen in CSS pixels.
type Viewport struct{ W, H int }

// Journey is an ordered list of steps run in one fresh browser.
type Journey struct {
	Name     string
	Steps    []Step
	Timeout  time.Duration // whole journey; default 60s
	Viewport Viewport      // default 1280x720
	// Propagation, when set, gives the page's requests a traceparent.
	Propagation *Propagation
}

const (
	defaultJourneyTimeout = 60 * time.Second
	defaultStepTimeout    = 15 * time.Second
	secretMask            = "***"
)

// ErrorKind classifies a failure so callers retry only infrastructure errors.
type ErrorKind string

const (
	KindAssertion      ErrorKind = "assertion"
	KindIO             ErrorKind = "io"
	KindInfrastructure ErrorKind = "infrastructure"
)

// Error is the error Run returns when a journey fails.
type Error struct {
	Kind   ErrorKind
	Step   int // index of the failing step, -1 when no step ran
	Action string
	Msg    string // already secret-masked
}

func (e *Error) Error() string {
	if e.Step < 0 {
		return fmt.Sprintf("browser %s error: %s", e.Kind, e.Msg)
	}
	return fmt.Sprintf("step %d (%s) %s error: %s", e.Step, e.Action, e.Kind, e.Msg)
}

// IsInfrastructure reports whether err is worth retrying on a new browser.
func IsInfrastructure(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == KindInfrastructure
}

// masker replaces secret values; built once per journey.
type masker struct{ secrets []string }

func newMasker(steps []Step) masker {
	var m masker
	for _, s := range steps {
		if s.Secret && s.Value != "" {
			m.secrets = append(m.secrets, s.Value)
		}
	}
	return m
}

func (m masker) mask(s string) string {
	for _, v := range m.secrets {
		s = strings.ReplaceAll(s, v, secretMask)
	}
	return s
}

// describe renders a step for results and logs, never showing secrets.
func (m masker) describe(s Step) string {
	val := s.Value
	if s.Secret {
		val = secretMask
	}
	var d string
	switch s.Action {
	case ActionGoto:
		d = "goto " + s.URL
	case ActionType, ActionSelect:
		d = fmt.Sprintf("%s %q = %q", s.Action, s.Selector, val)
	case ActionPress:
		d = fmt.Sprintf("press %q", val)
	case ActionWaitFor:
		st := s.State
		if st == "" {
			st = StateVisible
		}
		parts := []string{"wait_for", st}
		for _, v := range []string{s.Selector, quoteIf(s.Text), s.URL} {
			if v != "" {
				parts = append(parts, v)
			}
		}
		d = strings.Join(parts, " ")
	case ActionAssert:
		d = "assert " + s.Expr
	case ActionEval:
		d = "eval " + s.Name
	case ActionViewport:
		d = fmt.Sprintf("viewport %dx%d", s.Width, s.Height)
	case ActionCookie:
		d = fmt.Sprintf("cookie %s=%s", s.Name, val)
	case ActionHeader:
		d = fmt.Sprintf("header (%d)", len(s.Headers))
	default:
		d = strings.TrimSpace(s.Action + " " + s.Selector + " " + s.Name)
	}
	return m.mask(strings.TrimSpace(d))
}

// maskValue masks an eval result: strings directly, anything else through
// its JSON form, replaced wholesale when it holds a secret.
func (m masker) maskValue(v any) any {
	if s, ok := v.(string); ok {
		return m.mask(s)
	}
	b, err := json.Marshal(v)
	if err != nil || m.mask(string(b)) != string(b) {
		return secretMask
	}
	return v
}

func quoteIf(s string) string {
	if s == "" {
		return ""
	}
	return strconv.Quote(s)
}
