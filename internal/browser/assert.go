package browser

import (
	"context"
	"fmt"

	"github.com/chromedp/chromedp"
	"github.com/expr-lang/expr"
)

// assert evaluates st.Expr over the page state; page helpers query the page
// lazily so an expression only pays for what it uses.
func (s *session) assert(ctx context.Context, st Step) error {
	var helperErr error
	note := func(err error) {
		if err != nil && helperErr == nil {
			helperErr = err
		}
	}
	eval := func(script string, out any) {
		switch p := out.(type) {
		case *string:
			v, err := chromedp.Run(ctx, chromedp.Evaluate[string](script))
			note(err)
			*p = v
		case *int:
			v, err := chromedp.Run(ctx, chromedp.Evaluate[int](script))
			note(err)
			*p = v
		case *bool:
			v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](script))
			note(err)
			*p = v
		}
	}
	v, err := s.readVitals(ctx)
	if err != nil {
		return err
	}
	var pageURL, title string
	eval("location.href", &pageURL)
	eval("document.title", &title)
	env := map[string]any{}
	vars := map[string]any{}
	for k, val := range s.vars {
		env[k] = val
		vars[k] = val
	}
	env["vars"] = vars // monitors write eval results as vars.NAME
	env["url"] = pageURL
	env["title"] = title
	env["vitals"] = map[string]any{
		"lcp": v.LCP, "cls": v.CLS, "fcp": v.FCP, "ttfb": v.TTFB, "inp": v.INP, "tbt": v.TBT,
		"lcpElement": v.LCPElement,
	}
	env["text"] = func(sel string) string {
		var out string
		eval(`(() => { const el = document.querySelector(`+js(sel)+`); return el ? el.innerText : ''; })()`, &out)
		return out
	}
	env["count"] = func(sel string) int {
		var out int
		eval(`document.querySelectorAll(`+js(sel)+`).length`, &out)
		return out
	}
	env["visible"] = func(sel string) bool {
		var out bool
		eval(`(() => { const el = document.querySelector(`+js(sel)+`);
  if (!el) return false; const r = el.getBoundingClientRect(); const cs = getComputedStyle(el);
  return r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && cs.display !== 'none'; })()`, &out)
		return out
	}
	prog, err := expr.Compile(st.Expr, expr.Env(env), expr.AsBool())
	if err != nil {
		return &assertionError{msg: fmt.Sprintf("compiling assertion %q: %v", st.Expr, err)}
	}
	out, err := expr.Run(prog, env)
	if helperErr != nil {
		return fmt.Errorf("reading page state for assertion: %w", helperErr)
	}
	if err != nil {
		return &assertionError{msg: fmt.Sprintf("evaluating assertion %q: %v", st.Expr, err)}
	}
	if ok, _ := out.(bool); !ok {
		return &assertionError{msg: fmt.Sprintf("assertion failed: %s (url=%q title=%q)", st.Expr, pageURL, title)}
	}
	return nil
}
