package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// assertionError marks a failed check as opposed to a page or browser problem.
type assertionError struct{ msg string }

func (e *assertionError) Error() string { return e.msg }

// runStep runs one step with its own timeout, records it and converts any
// failure (or panic) into an *Error.
func (s *session) runStep(ctx context.Context, i int, st Step) (err error) {
	desc := s.m.describe(st)
	sr := StepResult{Index: i, Action: st.Action, Description: desc, Status: StatusUp}
	timeout := st.Timeout
	if timeout <= 0 {
		timeout = defaultStepTimeout
	}
	sctx, cancel := context.WithTimeout(s.tab, timeout)
	defer cancel()
	// The journey deadline also bounds the step.
	stop := context.AfterFunc(ctx, cancel)
	defer stop()

	s.prop.beginStep(i, st.Action)
	begin := time.Now()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
		sr.Duration = time.Since(begin)
		if err != nil {
			kind := s.classify(ctx, err)
			msg := s.m.mask(err.Error())
			if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
				msg = fmt.Sprintf("timed out after %s: %s", timeout, msg)
			}
			sr.Status, sr.Error, sr.ErrorKind = StatusDown, msg, kind
			err = &Error{Kind: kind, Step: i, Action: st.Action, Msg: msg}
		}
		s.res.Steps = append(s.res.Steps, sr)
		s.r.log.Debug("step", "index", i, "step", desc, "status", sr.Status, "duration", sr.Duration, "error", sr.Error)
	}()
	if err := s.do(sctx, i, st); err != nil {
		return err
	}
	if st.Action == ActionGoto {
		if v, err := s.readVitals(sctx); err == nil {
			s.vitals = v
			sr.Vitals = &v
		}
	}
	return nil
}

// classify decides whether a failure is the page's fault or the browser's.
func (s *session) classify(ctx context.Context, err error) ErrorKind {
	var ae *assertionError
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ae):
		return KindAssertion
	case errors.As(err, &ee), strings.Contains(err.Error(), "lost the connection"),
		strings.HasPrefix(err.Error(), "panic:"):
		return KindInfrastructure
	}
	// chromedp cancels the browser context when the process dies; give its
	// watcher a moment so a crash is not mistaken for a slow page.
	for range 10 {
		if s.browser.Err() != nil && ctx.Err() == nil {
			return KindInfrastructure
		}
		if !s.browserAlive() {
			return KindInfrastructure
		}
		time.Sleep(20 * time.Millisecond)
	}
	return KindIO
}

func (s *session) browserAlive() bool {
	pid := s.pid.Load()
	return pid > 0 && len(ProcessesUsing(s.dir)) > 0
}

func (s *session) do(ctx context.Context, i int, st Step) error {
	sel := chromedp.CSS(st.Selector)
	switch st.Action {
	case ActionGoto:
		if u, err := url.Parse(st.URL); err == nil {
			s.col.setFirstHost(u.Hostname())
		}
		s.col.startPage(s.m.mask(st.URL))
		if err := chromedp.Do(ctx, chromedp.Navigate(st.URL)); err != nil {
			return fmt.Errorf("navigating to %s: %w", st.URL, err)
		}
		if t, err := chromedp.Run(ctx, chromedp.Title()); err == nil {
			s.col.setPageTitle(t)
		}
	case ActionClick:
		return wrap("clicking "+st.Selector, chromedp.Do(ctx, chromedp.Click(sel, chromedp.NodeVisible)))
	case ActionType:
		return wrap("typing into "+st.Selector, chromedp.Do(ctx, chromedp.SendKeys(sel, st.Value, chromedp.NodeVisible)))
	case ActionSelect:
		return s.selectOption(ctx, st)
	case ActionPress:
		var steps []chromedp.Action[chromedp.Void]
		if st.Selector != "" {
			steps = append(steps, chromedp.Focus(sel, chromedp.NodeVisible))
		}
		steps = append(steps, chromedp.KeyEvent(keyName(st.Value)))
		return wrap("pressing key", chromedp.Do(ctx, steps...))
	case ActionHover:
		return s.hover(ctx, st)
	case ActionWaitFor:
		return s.waitFor(ctx, st)
	case ActionAssert:
		return s.assert(ctx, st)
	case ActionEval:
		v, err := chromedp.Run(ctx, chromedp.Evaluate[any](st.Script, chromedp.EvalAwaitPromise))
		if err != nil && !errors.Is(err, chromedp.ErrJSUndefined) {
			return fmt.Errorf("evaluating script %q: %w", st.Name, err)
		}
		if st.Name != "" {
			s.vars[st.Name] = v
			s.res.Values[st.Name] = v
		}
	case ActionScreenshot:
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			return fmt.Errorf("capturing screenshot: %w", err)
		}
		s.res.Shots = append(s.res.Shots, Screenshot{Step: i, Name: st.Name, PNG: png})
	case ActionViewport:
		if st.Width <= 0 || st.Height <= 0 {
			return errors.New("viewport needs Width and Height")
		}
		return wrap("setting viewport", chromedp.Do(ctx, chromedp.EmulateViewport(int64(st.Width), int64(st.Height))))
	case ActionHeader:
		h := network.Headers{}
		for k, v := range st.Headers {
			h[k] = v
		}
		_, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: h})
		return wrap("setting extra headers", err)
	case ActionCookie:
		u := st.URL
		if u == "" {
			u = s.firstURL()
		}
		_, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: st.Name, Value: st.Value, URL: u})
		return wrap("setting cookie "+st.Name, err)
	default:
		return fmt.Errorf("unknown action %q", st.Action)
	}
	return nil
}

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

func (s *session) firstURL() string {
	for _, st := range s.j.Steps {
		if st.Action == ActionGoto {
			return st.URL
		}
	}
	return ""
}

var keys = map[string]string{
	"enter": kb.Enter, "tab": kb.Tab, "escape": kb.Escape, "backspace": kb.Backspace,
	"delete": kb.Delete, "arrowdown": kb.ArrowDown, "arrowup": kb.ArrowUp,
	"arrowleft": kb.ArrowLeft, "arrowright": kb.ArrowRight, "home": kb.Home, "end": kb.End,
	"pagedown": kb.PageDown, "pageup": kb.PageUp,
}

func keyName(k string) string {
	if v, ok := keys[strings.ToLower(k)]; ok {
		return v
	}
	return k
}

// js quotes a Go string as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func (s *session) selectOption(ctx context.Context, st Step) error {
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(st.Selector))); err != nil {
		return fmt.Errorf("waiting for %s: %w", st.Selector, err)
	}
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
  const el = document.querySelector(`+js(st.Selector)+`);
  if (!el || !Array.from(el.options || []).some(o => o.value === `+js(st.Value)+`)) return false;
  el.value = `+js(st.Value)+`;
  el.dispatchEvent(new Event('input', {bubbles: true}));
  el.dispatchEvent(new Event('change', {bubbles: true}));
  return true;
})()`))
	if err != nil {
		return fmt.Errorf("selecting option in %s: %w", st.Selector, err)
	}
	if !ok {
		return fmt.Errorf("selecting option in %s: no such option", st.Selector)
	}
	return nil
}

func (s *session) hover(ctx context.Context, st Step) error {
	sel := chromedp.CSS(st.Selector)
	if err := chromedp.Do(ctx, chromedp.ScrollIntoView(sel, chromedp.NodeVisible)); err != nil {
		return fmt.Errorf("hovering %s: %w", st.Selector, err)
	}
	pt, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => {
  const r = document.querySelector(`+js(st.Selector)+`).getBoundingClientRect();
  return [r.left + r.width / 2, r.top + r.height / 2];
})()`))
	if err != nil || len(pt) != 2 {
		return fmt.Errorf("locating %s: %w", st.Selector, err)
	}
	return wrap("moving mouse", chromedp.Do(ctx, chromedp.MouseEvent(chromedp.MouseMoved, pt[0], pt[1])))
}

func (s *session) waitFor(ctx context.Context, st Step) error {
	sel := chromedp.CSS(st.Selector)
	switch st.State {
	case "", StateVisible:
		return wrap("waiting for "+st.Selector+" to be visible", chromedp.Do(ctx, chromedp.WaitVisible(sel)))
	case StateHidden:
		return wrap("waiting for "+st.Selector+" to be hidden", chromedp.Do(ctx, chromedp.WaitNotVisible(sel)))
	case StateText:
		root := "document.body"
		if st.Selector != "" {
			root = "document.querySelector(" + js(st.Selector) + ")"
		}
		expr := `(() => { const el = ` + root + `; return !!el && (el.innerText || '').includes(` + js(st.Text) + `); })()`
		return s.poll(ctx, fmt.Sprintf("waiting for text %q", st.Text), func() (bool, error) {
			return chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		})
	case StateURL:
		re, err := regexp.Compile(st.URL)
		if err != nil {
			return fmt.Errorf("compiling URL pattern: %w", err)
		}
		return s.poll(ctx, "waiting for URL matching "+st.URL, func() (bool, error) {
			u, err := chromedp.Run(ctx, chromedp.Location())
			return re.MatchString(u), err
		})
	case StateNetworkIdle:
		return s.poll(ctx, "waiting for network idle", func() (bool, error) {
			return s.col.idleFor(500 * time.Millisecond), nil
		})
	}
	return fmt.Errorf("unknown wait_for state %q", st.State)
}

// pollBackoff spaces the checks of a wait: soon at first (most waits end
// within a few tens of milliseconds: a fixed 100 ms tick added ~100 ms to
// every wait step), then every 100 ms.
var pollBackoff = []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond}

// poll checks cond until it holds or ctx ends.
func (s *session) poll(ctx context.Context, what string, cond func() (bool, error)) error {
	for i := 0; ; i++ {
		ok, err := cond()
		if ok && err == nil {
			return nil
		}
		wait := 100 * time.Millisecond
		if i < len(pollBackoff) {
			wait = pollBackoff[i]
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("%s: %w (last error: %v)", what, ctx.Err(), err)
			}
			return fmt.Errorf("%s: %w", what, ctx.Err())
		case <-time.After(wait):
		}
	}
}

func (s *session) readVitals(ctx context.Context) (Vitals, error) {
	v, err := chromedp.Run(ctx, chromedp.Evaluate[Vitals](readVitalsJS, chromedp.EvalAwaitPromise))
	if err != nil {
		return Vitals{}, fmt.Errorf("reading web vitals: %w", err)
	}
	return v, nil
}
