package check

import (
	"fmt"
	"strings"

	"github.com/vigil-dev/vigil/internal/browser"
	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
)

// browserJourney runs a browser monitor in a fresh Chromium. An
// infrastructure failure (the browser could not start or crashed) is kept
// in rn.infra so Run returns it as an error worth retrying.
func (rn *run) browserJourney(m monitor.Monitor) ([]result.Step, *result.Error) {
	j, err := rn.journey(m)
	if err != nil {
		return nil, configError(err.Error())
	}
	br := browser.NewRunner(browser.Options{ChromiumPath: rn.r.opts.ChromiumPath, Logger: rn.r.opts.Logger, Limits: limitsFor(m, rn.r.opts.BrowserLimits)})
	res, err := br.Run(rn.ctx, j)
	if err != nil && browser.IsInfrastructure(err) {
		rn.infra = err
	}
	rn.browser = browserSummary(&res)
	rn.storeAttachments(m.ID, &res)
	steps := make([]result.Step, 0, len(res.Steps))
	for _, s := range res.Steps {
		steps = append(steps, browserStep(j, s))
	}
	rn.traces = browserTraces(steps, &res)
	rn.browser.TraceparentError = res.PropagationError
	if len(steps) == 0 && res.Error != "" {
		return nil, &result.Error{Type: result.ErrorIO, Message: res.Error}
	}
	return steps, nil
}

// journey turns a monitor's steps into browser steps, resolving references;
// values that held a secret are marked so the browser masks them too.
func (rn *run) journey(m monitor.Monitor) (browser.Journey, error) {
	j := browser.Journey{Name: m.ID, Timeout: rn.timeout}
	if rn.propagate {
		j.Propagation = &browser.Propagation{}
		if m.Traceparent != nil {
			j.Propagation.Origins = m.Traceparent.Origins
		}
	}
	expand := func(what, v string) (string, bool, error) {
		out, err := rn.expand(v, nil)
		if err != nil {
			return "", false, fmt.Errorf("%s: %w", what, err)
		}
		return out, strings.Contains(v, "${secrets."), nil
	}
	for i, st := range m.Steps {
		what := fmt.Sprintf("steps[%d]", i)
		base := browser.Step{Name: st.Name, Timeout: st.Timeout.Std()}
		var err error
		switch {
		case st.Goto != "":
			base.Action = browser.ActionGoto
			base.URL, base.Secret, err = expand(what+".goto", st.Goto)
		case st.Click != "":
			base.Action, base.Selector = browser.ActionClick, st.Click
		case st.Type != nil, st.Select != nil:
			in, act := st.Type, browser.ActionType
			if in == nil {
				in, act = st.Select, browser.ActionSelect
			}
			base.Action, base.Selector = act, in.Selector
			base.Value, base.Secret, err = expand(what+".value", in.Value)
		case st.Press != "":
			base.Action, base.Value = browser.ActionPress, st.Press
		case st.Hover != "":
			base.Action, base.Selector = browser.ActionHover, st.Hover
		case st.WaitFor != nil:
			base.Action, base.Selector, base.Text, base.URL = browser.ActionWaitFor, st.WaitFor.Selector, st.WaitFor.Text, st.WaitFor.URL
			base.State = waitState(st.WaitFor)
		case st.Eval != nil:
			base.Action, base.Name, base.Script = browser.ActionEval, st.Eval.Name, st.Eval.Script
		case st.Screenshot != "":
			base.Action, base.Name = browser.ActionScreenshot, st.Screenshot
		case st.Viewport != nil:
			base.Action, base.Width, base.Height = browser.ActionViewport, st.Viewport.Width, st.Viewport.Height
		case len(st.Header) > 0:
			base.Action, base.Headers = browser.ActionHeader, map[string]string{}
			for k, v := range st.Header {
				if base.Headers[k], _, err = expand(what+".header."+k, v); err != nil {
					break
				}
			}
		case st.Cookie != nil:
			base.Action, base.Name, base.URL = browser.ActionCookie, st.Cookie.Name, st.Cookie.URL
			base.Value, base.Secret, err = expand(what+".cookie.value", st.Cookie.Value)
		case len(st.Assert) > 0:
			for _, e := range st.Assert { // one browser step per expression: each is reported
				s := base
				s.Action, s.Expr = browser.ActionAssert, e
				j.Steps = append(j.Steps, s)
			}
			continue
		default:
			return j, fmt.Errorf("%s has no browser action", what)
		}
		if err != nil {
			return j, err
		}
		j.Steps = append(j.Steps, base)
	}
	return j, nil
}

func waitState(w *monitor.WaitFor) string {
	switch {
	case w.State == "network_idle":
		return browser.StateNetworkIdle
	case w.State == "hidden":
		return browser.StateHidden
	case w.URL != "":
		return browser.StateURL
	case w.Text != "":
		return browser.StateText
	}
	return browser.StateVisible
}

func browserStep(j browser.Journey, s browser.StepResult) result.Step {
	name := s.Description
	if s.Index >= 0 && s.Index < len(j.Steps) && j.Steps[s.Index].Name != "" {
		name = j.Steps[s.Index].Name
	}
	st := result.Step{
		Synthetics: result.StepSynthetics{Type: "step/end", Step: result.StepInfo{
			Index: s.Index + 1, Name: name, Status: string(s.Status), Duration: micros(s.Duration),
		}},
		Timings: result.Timings{Total: micros(s.Duration)},
		Details: map[string]any{"action": s.Action},
	}
	if s.Error != "" {
		typ := result.ErrorIO
		if s.ErrorKind == browser.KindAssertion {
			typ = result.ErrorAssertion
		}
		st.Error = &result.Error{Type: typ, Message: s.Error}
	}
	if s.Vitals != nil {
		st.Details["lcp_ms"], st.Details["fcp_ms"], st.Details["ttfb_ms"] = s.Vitals.LCP, s.Vitals.FCP, s.Vitals.TTFB
	}
	return st
}

// storeAttachments puts the run's files in blob storage under
// <monitor>/<start>/<name>; a store that fails is reported, not fatal.
func (rn *run) storeAttachments(monitorID string, res *browser.Result) {
	type file struct {
		name, contentType string
		data              []byte
	}
	var files []file
	for _, s := range res.Shots {
		files = append(files, file{fmt.Sprintf("screenshot-%d-%s.png", s.Step+1, safeName(s.Name)), "image/png", s.PNG})
	}
	if len(res.HAR) > 0 {
		files = append(files, file{"run.har", "application/json", res.HAR})
	}
	if res.DOM != "" {
		files = append(files, file{"dom.html", "text/html; charset=utf-8", []byte(res.DOM)})
	}
	if len(files) == 0 {
		return
	}
	w := rn.r.opts.Attachments
	if w == nil {
		rn.browser.AttachmentError = "no attachment store configured: files were not kept"
		return
	}
	prefix := fmt.Sprintf("%s/%s", monitorID, res.Started.UTC().Format("20060102T150405.000000000Z"))
	for _, f := range files {
		key := prefix + "/" + f.name
		if err := w.Put(rn.parent, key, f.contentType, f.data); err != nil {
			rn.browser.AttachmentError = rn.masker.Mask(err.Error())
			continue
		}
		rn.browser.Attachments = append(rn.browser.Attachments, result.Attachment{Name: f.name, Key: key, ContentType: f.contentType, Size: int64(len(f.data))})
	}
}

// safeName keeps a name usable as a file name.
func safeName(s string) string {
	out := []byte(s)
	for i, c := range out {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			out[i] = '_'
		}
	}
	if len(out) == 0 {
		return "shot"
	}
	return string(out)
}

func browserSummary(res *browser.Result) *result.Browser {
	v := res.Vitals
	b := &result.Browser{
		Startup:     micros(res.Startup),
		Experience:  result.Experience{LCP: v.LCP, LCPElement: v.LCPElement, CLS: v.CLS, INP: v.INP, TBT: v.TBT, FCP: v.FCP, TTFB: v.TTFB},
		ThirdParty:  res.ThirdParty,
		Screenshots: len(res.Shots),
		Limits: result.BrowserLimits{CPUs: res.Limits.CPUs, MemoryBytes: res.Limits.MemoryBytes, Cgroup: res.Limits.Cgroup,
			Reason: res.Limits.Reason, PeakMemoryBytes: res.Limits.PeakMemoryBytes},
	}
	for _, c := range res.Console {
		b.Console = append(b.Console, result.ConsoleMessage{Level: c.Level, Text: c.Text, URL: c.URL, Line: c.Line, Column: c.Column})
	}
	for _, f := range res.Failed {
		b.Failed = append(b.Failed, result.FailedRequest{URL: f.URL, Status: f.Status, Reason: f.Reason, Type: f.Type})
	}
	return b
}

// limitsFor applies the monitor's own resources over the worker's.
func limitsFor(m monitor.Monitor, worker browser.Limits) browser.Limits {
	if r := m.Resources; r != nil {
		if r.CPUs > 0 {
			worker.CPUs = r.CPUs
		}
		if r.MemoryMB > 0 {
			worker.MemoryBytes = int64(r.MemoryMB) << 20
		}
	}
	return worker
}
