package redact

import (
	"strings"

	"github.com/vigil-dev/vigil/internal/result"
)

// Result redacts, in place, what a check result carries from the target:
// URLs, response headers and bodies, error and assertion messages, step
// details, console messages and failed requests of browser runs. Secrets of
// the monitor itself are masked earlier, by the check; this catches what
// the target sent back.
func (r *Redactor) Result(res *result.Result) {
	r.resultURL(res.URL)
	r.resultError(res.Error)
	for i := range res.Steps {
		st := &res.Steps[i]
		r.resultURL(st.URL)
		r.resultError(st.Error)
		for j := range st.Assertions {
			st.Assertions[j].Message = r.Text(st.Assertions[j].Message)
		}
		r.Attributes(st.Details)
		if h := st.HTTP; h != nil {
			r.responseHeaders(h.Response.Headers)
			h.Response.Body.Content = r.body(h.Response.Body.Content, h.Response.MimeType)
		}
	}
	if b := res.Browser; b != nil {
		for i := range b.Console {
			b.Console[i].Text = r.Text(b.Console[i].Text)
			b.Console[i].URL = r.URL(b.Console[i].URL)
		}
		for i := range b.Failed {
			b.Failed[i].URL = r.URL(b.Failed[i].URL)
		}
	}
}

func (r *Redactor) resultURL(u *result.URL) {
	if u == nil {
		return
	}
	u.Full = r.URL(u.Full)
	u.Path = r.URL(u.Path)
}

func (r *Redactor) resultError(e *result.Error) {
	if e != nil {
		e.Message = r.Text(e.Message)
	}
}

// responseHeaders applies the header rules to a single-valued header map.
func (r *Redactor) responseHeaders(h map[string]string) {
	for name, v := range h {
		out, keep := r.Header(name, v)
		if !keep {
			delete(h, name)
			continue
		}
		h[name] = out
	}
}

// body redacts a kept response body: JSON by field, anything else as text.
func (r *Redactor) body(content, mime string) string {
	if content == "" {
		return content
	}
	if strings.Contains(mime, "json") {
		return string(r.JSON([]byte(content)))
	}
	return r.Text(content)
}
