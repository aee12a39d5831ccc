package monitor

// Browser steps. A step of a browser monitor holds exactly one action; the
// journey runs in a fresh Chromium per run (internal/browser).

// BrowserActions are the step keys of a browser monitor, in the order the
// validator names them.
var BrowserActions = []string{"goto", "click", "type", "select", "press", "hover", "wait_for", "assert", "eval", "screenshot", "viewport", "header", "cookie"}

// FieldInput types into or selects in a form field.
type FieldInput struct {
	Selector string `yaml:"selector" json:"selector" jsonschema:"required,description=CSS selector of the field"`
	Value    string `yaml:"value" json:"value" jsonschema:"required,description=Text typed or option chosen; may hold ${secrets.NAME} (masked everywhere)"`
}

// WaitFor is a condition a browser step waits for: one of selector (visible,
// or hidden with state: hidden), text, url (a regular expression) or
// state: network_idle.
type WaitFor struct {
	Selector string `yaml:"selector,omitempty" json:"selector,omitempty" jsonschema:"description=CSS selector that must become visible (or hidden)"`
	State    string `yaml:"state,omitempty" json:"state,omitempty" jsonschema:"enum=visible,enum=hidden,enum=network_idle,description=visible (default) or hidden for selector; network_idle alone"`
	Text     string `yaml:"text,omitempty" json:"text,omitempty" jsonschema:"description=Text that must appear (inside selector when set)"`
	URL      string `yaml:"url,omitempty" json:"url,omitempty" jsonschema:"description=Regular expression the page URL must match"`
}

// Eval runs JavaScript in the page; its result is vars.NAME for later steps.
type Eval struct {
	Name   string `yaml:"name" json:"name" jsonschema:"required,description=Variable holding the result (vars.NAME)"`
	Script string `yaml:"script" json:"script" jsonschema:"required,description=JavaScript expression evaluated in the page"`
}

// ViewportSize is the emulated screen in CSS pixels.
type ViewportSize struct {
	Width  int `yaml:"width" json:"width" jsonschema:"required,minimum=100,maximum=7680"`
	Height int `yaml:"height" json:"height" jsonschema:"required,minimum=100,maximum=4320"`
}

// Cookie is set before later navigations.
type Cookie struct {
	Name  string `yaml:"name" json:"name" jsonschema:"required"`
	Value string `yaml:"value" json:"value" jsonschema:"required,description=May hold ${secrets.NAME} (masked everywhere)"`
	URL   string `yaml:"url,omitempty" json:"url,omitempty" jsonschema:"description=URL the cookie is for (default: the first goto)"`
}

// BrowserEnv is the environment of a browser step's assert.
type BrowserEnv struct {
	URL     string              `expr:"url"`
	Title   string              `expr:"title"`
	Text    func(string) string `expr:"text"`    // inner text of the first match
	Count   func(string) int    `expr:"count"`   // number of matches
	Visible func(string) bool   `expr:"visible"` // first match is rendered
	Vitals  BrowserVitals       `expr:"vitals"`
	Vars    map[string]any      `expr:"vars"` // results of earlier eval steps
}

// BrowserVitals are the Web Vitals so far, in milliseconds (CLS unitless).
type BrowserVitals struct {
	LCP        float64 `expr:"lcp"`
	LCPElement string  `expr:"lcpElement"`
	CLS        float64 `expr:"cls"`
	INP        float64 `expr:"inp"`
	TBT        float64 `expr:"tbt"`
	FCP        float64 `expr:"fcp"`
	TTFB       float64 `expr:"ttfb"`
}

// browserAction names the actions set in s (normally one).
func (s *Step) browserAction() []string {
	var set []string
	add := func(name string, ok bool) {
		if ok {
			set = append(set, name)
		}
	}
	add("goto", s.Goto != "")
	add("click", s.Click != "")
	add("type", s.Type != nil)
	add("select", s.Select != nil)
	add("press", s.Press != "")
	add("hover", s.Hover != "")
	add("wait_for", s.WaitFor != nil)
	add("assert", len(s.Assert) > 0)
	add("eval", s.Eval != nil)
	add("screenshot", s.Screenshot != "")
	add("viewport", s.Viewport != nil)
	add("header", len(s.Header) > 0)
	add("cookie", s.Cookie != nil)
	return set
}
