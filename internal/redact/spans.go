package redact

import (
	"strings"

	"github.com/vigil-dev/vigil/internal/span"
)

// Span redacts, in place, every part of a span that can carry what a user
// sent: the request target and name (query parameters, path text), OTel
// attributes of the span, its resource, events and links, and free-text
// messages. Ids, addresses and sizes are left alone. Every input (agent,
// datagrams, OTLP) calls it before a span reaches the spool or the store.
func (r *Redactor) Span(sp *span.Span) {
	sp.Span.Name = r.redactOnce(&r.spanNames, sp.Span.Name, r.URLText)
	if h := sp.HTTP; h != nil {
		h.Request.Path = r.URL(h.Request.Path)
		h.Request.Host = r.hostUserinfo(h.Request.Host)
	}
	sp.Vigil.Reason = r.Text(sp.Vigil.Reason)
	if d := sp.DB; d != nil { // statements are normalised already; errors may quote values
		d.Statement = r.Text(d.Statement)
		d.Error = r.Text(d.Error)
	}
	if o := sp.OTel; o != nil {
		r.Attributes(o.Attributes)
		r.Attributes(o.Resource)
		for i := range o.Events {
			r.Attributes(o.Events[i].Attributes)
			o.Events[i].Name = r.Text(o.Events[i].Name)
		}
		for i := range o.Links {
			r.Attributes(o.Links[i].Attributes)
		}
		if o.Status != nil {
			o.Status.Message = r.Text(o.Status.Message)
		}
	}
}

// hostUserinfo drops the credentials of a "user:password@host" authority,
// which senders sometimes put in a host field.
func (r *Redactor) hostUserinfo(host string) string {
	i := strings.LastIndexByte(host, '@')
	if i < 0 {
		return host
	}
	r.userinfo.add(1)
	return "REDACTED@" + host[i+1:]
}

// URLText redacts a text that may hold a URL or a request target after a
// method ("GET /x?token=..."): the URL rules for the last word when it looks
// like one, the value patterns for the rest.
func (r *Redactor) URLText(s string) string {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ' ' {
			if i+1 < len(s) && (s[i+1] == '/' || hasScheme(s[i+1:])) {
				head, tail := r.Text(s[:i+1]), r.URL(s[i+1:])
				if head == s[:i+1] && tail == s[i+1:] { // nearly always: no copy
					return s
				}
				return head + tail
			}
			break
		}
	}
	if len(s) > 0 && (s[0] == '/' || hasScheme(s)) {
		return r.URL(s)
	}
	return r.Text(s)
}

func hasScheme(s string) bool {
	for i := 0; i < len(s) && i < 16; i++ {
		if s[i] == ':' {
			return i > 0 && i+2 < len(s) && s[i+1] == '/' && s[i+2] == '/'
		}
	}
	return false
}
