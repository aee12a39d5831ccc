package check

import (
	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/secrets"
)

// maskResult passes every string of the result through the run's masker,
// in one place, so that no resolved secret can reach the store whichever
// path wrote it.
func maskResult(res *result.Result, m *secrets.Masker) {
	if m.Len() == 0 {
		return
	}
	res.Monitor.Name = m.Mask(res.Monitor.Name)
	maskURL(res.URL, m)
	maskError(res.Error, m)
	for i := range res.Steps {
		maskStep(&res.Steps[i], m)
	}
	if b := res.Browser; b != nil {
		b.Experience.LCPElement = m.Mask(b.Experience.LCPElement)
		for i := range b.Console {
			b.Console[i].Text, b.Console[i].URL = m.Mask(b.Console[i].Text), m.Mask(b.Console[i].URL)
		}
		for i := range b.Failed {
			b.Failed[i].URL, b.Failed[i].Reason = m.Mask(b.Failed[i].URL), m.Mask(b.Failed[i].Reason)
		}
	}
}

func maskStep(s *result.Step, m *secrets.Masker) {
	s.Synthetics.Step.Name = m.Mask(s.Synthetics.Step.Name)
	maskURL(s.URL, m)
	maskError(s.Error, m)
	if s.HTTP != nil {
		r := &s.HTTP.Response
		r.Headers = m.MaskMap(r.Headers)
		r.Body.Content = m.Mask(r.Body.Content)
		r.MimeType = m.Mask(r.MimeType)
	}
	for i := range s.Assertions {
		a := &s.Assertions[i]
		a.Expression = m.Mask(a.Expression)
		a.Message = m.Mask(a.Message)
	}
	for k, v := range s.Details {
		s.Details[k] = maskAny(v, m)
	}
}

func maskURL(u *result.URL, m *secrets.Masker) {
	if u == nil {
		return
	}
	u.Full = m.Mask(u.Full)
	u.Domain = m.Mask(u.Domain)
	u.Path = m.Mask(u.Path)
}

func maskError(e *result.Error, m *secrets.Masker) {
	if e != nil {
		e.Message = m.Mask(e.Message)
	}
}

// maskAny masks the string values of details; other kinds hold no text.
func maskAny(v any, m *secrets.Masker) any {
	switch x := v.(type) {
	case string:
		return m.Mask(x)
	case []string:
		out := make([]string, len(x))
		for i, s := range x {
			out[i] = m.Mask(s)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = maskAny(e, m)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[m.Mask(k)] = maskAny(e, m)
		}
		return out
	}
	return v
}
