package monitor

import (
	"regexp"
	"strings"
)

// checkBrowserSteps validates a journey: each step does exactly one thing,
// and eval results are known to the steps after them as vars.NAME.
func (c *checker) checkBrowserSteps() {
	known := map[string]bool{}
	for i := range c.m.Steps {
		step := &c.m.Steps[i]
		path := indexPath("steps", i)
		for _, http := range []string{"request", "extract"} {
			if c.present(joinPath(path, http)) {
				c.p.add(joinPath(path, http), c.keyAt(joinPath(path, http)), "%s.%s belongs to http monitors; a browser step is one action: %s", path, http, strings.Join(BrowserActions, ", "))
			}
		}
		acts := step.browserAction()
		switch len(acts) {
		case 0:
			c.fail(path, "%s needs one action: %s", path, strings.Join(BrowserActions, ", "))
			continue
		case 1:
		default:
			c.p.add(joinPath(path, acts[1]), c.keyAt(joinPath(path, acts[1])), "%s has both %s and %s; a browser step does one thing: split it in two steps", path, acts[0], acts[1])
			continue
		}
		if step.Timeout < 0 {
			c.fail(joinPath(path, "timeout"), "%s.timeout must not be negative", path)
		}
		c.checkBrowserAction(step, path, acts[0], known)
	}
}

func (c *checker) checkBrowserAction(s *Step, path, act string, known map[string]bool) {
	at := joinPath(path, act)
	switch act {
	case "goto":
		c.checkStrings(known, map[string]string{at: s.Goto})
		c.checkURL(at, s.Goto)
	case "click", "hover":
		c.checkSelector(at, map[string]string{"click": s.Click, "hover": s.Hover}[act])
	case "type", "select":
		in := s.Type
		if act == "select" {
			in = s.Select
		}
		c.checkSelector(joinPath(at, "selector"), in.Selector)
		c.checkStrings(known, map[string]string{joinPath(at, "value"): in.Value})
	case "press":
		if strings.TrimSpace(s.Press) == "" {
			c.fail(at, "%s needs a key such as Enter, Tab or Escape", at)
		}
	case "wait_for":
		c.checkWaitFor(s.WaitFor, at)
	case "assert":
		c.checkExprs(at, s.Assert, BrowserEnv{}, true, known)
	case "eval":
		if !isIdentifier(s.Eval.Name) {
			c.fail(joinPath(at, "name"), "%s.name %q must be made of letters, digits and _ (not starting with a digit)", at, s.Eval.Name)
		} else {
			known[s.Eval.Name] = true
		}
		if strings.TrimSpace(s.Eval.Script) == "" {
			c.fail(joinPath(at, "script"), "%s.script is empty", at)
		}
	case "viewport":
		if v := s.Viewport; v.Width < 100 || v.Height < 100 || v.Width > 7680 || v.Height > 4320 {
			c.fail(at, "%s must be between 100x100 and 7680x4320, got %dx%d", at, v.Width, v.Height)
		}
	case "header":
		for name, v := range s.Header {
			if !isToken(name) {
				c.fail(joinPath(at, name), "%s: %q is not a valid header name", at, name)
			}
			c.checkStrings(known, map[string]string{joinPath(at, name): v})
		}
	case "cookie":
		if !isToken(s.Cookie.Name) {
			c.fail(joinPath(at, "name"), "%s.name %q is not a valid cookie name", at, s.Cookie.Name)
		}
		c.checkStrings(known, map[string]string{joinPath(at, "value"): s.Cookie.Value})
		if s.Cookie.URL != "" {
			c.checkURL(joinPath(at, "url"), s.Cookie.URL)
		}
	}
}

func (c *checker) checkSelector(path, sel string) {
	if strings.TrimSpace(sel) == "" {
		c.fail(path, "%s needs a CSS selector", path)
	}
}

func (c *checker) checkWaitFor(w *WaitFor, path string) {
	switch w.State {
	case "", "visible", "hidden":
	case "network_idle":
		if w.Selector != "" || w.Text != "" || w.URL != "" {
			c.fail(joinPath(path, "state"), "%s: network_idle waits for the network alone; drop selector, text and url", path)
		}
		return
	default:
		c.fail(joinPath(path, "state"), "%s.state %q must be visible, hidden or network_idle", path, w.State)
		return
	}
	set := 0
	for _, v := range []string{w.Selector, w.Text, w.URL} {
		if v != "" {
			set++
		}
	}
	switch {
	case set == 0:
		c.fail(path, "%s needs a selector, a text, a url or state: network_idle", path)
	case w.URL != "" && set > 1:
		c.fail(joinPath(path, "url"), "%s: url is waited for alone", path)
	case w.State == "hidden" && w.Selector == "":
		c.fail(joinPath(path, "state"), "%s: state hidden needs a selector", path)
	}
	if w.URL != "" {
		if _, err := regexp.Compile(w.URL); err != nil {
			c.fail(joinPath(path, "url"), "%s.url is not a valid regular expression: %v", path, err)
		}
	}
}
