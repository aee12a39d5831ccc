package redact

import (
	"strings"
)

// Header redacts one header value. keep is false when the header must be
// dropped; otherwise out is the value to store (Placeholder for a
// sensitive header, the value through the value patterns for the others).
func (r *Redactor) Header(name, value string) (out string, keep bool) {
	switch f := r.headers.match(name); {
	case f != nil && f.action == ActionDrop:
		f.add(1)
		return "", false
	case f != nil && f.action == ActionRedact:
		f.add(1)
		return Placeholder, true
	}
	return r.Text(value), true
}

// Headers redacts h in place (an http.Header works too): sensitive headers
// are deleted or have each value replaced, the others' values go through
// the value patterns.
func (r *Redactor) Headers(h map[string][]string) {
	for name, vs := range h {
		switch f := r.headers.match(name); {
		case f != nil && f.action == ActionDrop:
			f.add(1)
			delete(h, name)
		case f != nil && f.action == ActionRedact:
			f.add(len(vs))
			for i := range vs {
				vs[i] = Placeholder
			}
		default:
			for i, v := range vs {
				vs[i] = r.Text(v)
			}
		}
	}
}

// Prefixes of OpenTelemetry attributes that carry one header (or gRPC
// metadata entry) each, named after the prefix.
var headerPrefixes = []string{
	"http.request.header.", "http.response.header.",
	"rpc.grpc.request.metadata.", "rpc.grpc.response.metadata.",
	"rpc.request.metadata.", "rpc.response.metadata.",
}

// Attributes that hold a URL, a request target or a query string.
var urlKeys = map[string]bool{
	"url.full": true, "url.original": true, "http.url": true, "http.target": true,
	"url.path": true, "url.query": true, "url.fragment": true, "db.connection_string": true,
}

// Attributes redacts OpenTelemetry-style attributes in place:
//   - header attributes (http.request.header.<name>, gRPC metadata) follow
//     the header rules for <name>;
//   - an attribute whose key, or the last dot-separated part of it, matches
//     a JSON rule ("enduser.password") follows that rule;
//   - URL attributes (url.full, http.url, http.target, url.query, ...) go
//     through URL;
//   - other strings go through the value patterns, or through JSON when
//     they hold a JSON object or array; nested maps and slices too.
func (r *Redactor) Attributes(attrs map[string]any) {
	for k, v := range attrs {
		kind := r.attrKind(k)
		f := kind.rule
		switch {
		case f != nil && f.action == ActionDrop:
			f.add(1)
			delete(attrs, k)
		case f != nil && f.action == ActionRedact:
			f.add(1)
			attrs[k] = redactAll(v)
		case kind.clean.has(v): // clean the last time: nothing to do
		default:
			if s, ok := v.(string); ok {
				r.stringAttr(attrs, k, kind, v, s)
				continue
			}
			if kind.url {
				attrs[k] = r.anyValue(v)
				continue
			}
			r.redactValue(attrs, k, v)
		}
	}
}

// stringAttr redacts the string attribute k, which is v, and remembers
// it when it is clean: exporters repeat most values span after span.
func (r *Redactor) stringAttr(attrs map[string]any, k string, kind attrKind, v any, s string) {
	before := r.redactions.Load()
	var out string
	switch {
	case kind.url && k == "url.query":
		out = r.Query(s)
	case kind.url:
		out = r.URL(s)
	default:
		out = r.attrString(s)
	}
	if out != s { // an unchanged string stored again is boxed again
		attrs[k] = out
		return
	}
	// Unchanged and nothing counted (by anyone, meanwhile): redacting s
	// again would do nothing.
	if r.redactions.Load() == before {
		kind.clean.set(s)
	}
}

// redactValue writes back only what changed: most values are clean, and
// storing an unchanged string boxed it again (an allocation per attribute).
func (r *Redactor) redactValue(attrs map[string]any, k string, v any) {
	switch x := v.(type) {
	case string:
		if out := r.attrString(x); out != x {
			attrs[k] = out
		}
	case bool, int, int64, float64, nil:
	default:
		attrs[k] = r.anyValue(v)
	}
}

// attrKind is what Attributes does with a key.
type attrKind struct {
	rule  *fieldRule  // nil: no rule
	url   bool        // one of urlKeys
	clean *cleanValue // nil: not remembered
}

// attrKind is remembered per key: matching a key against every rule was
// a third of the cost of an OTLP span.
func (r *Redactor) attrKind(k string) attrKind {
	if v, ok := r.attrKinds.get(k); ok {
		return v
	}
	v := attrKind{rule: r.matchAttr(k), url: urlKeys[k]}
	if (v.rule == nil || v.rule.action == ActionKeep) && !r.attrKinds.full() {
		v.clean = new(cleanValue)
	}
	return r.attrKinds.put(k, v)
}

func (r *Redactor) matchAttr(k string) *fieldRule {
	for _, p := range headerPrefixes {
		if strings.HasPrefix(k, p) {
			return r.headers.match(k[len(p):])
		}
	}
	if f := r.json.match(k); f != nil {
		return f
	}
	if i := strings.LastIndexByte(k, '.'); i >= 0 {
		return r.json.match(k[i+1:])
	}
	return nil
}

// redactAll replaces a value, keeping its shape for string slices (a
// header with two values stays a two-element list).
func redactAll(v any) any {
	switch v := v.(type) {
	case []string:
		for i := range v {
			v[i] = Placeholder
		}
		return v
	case []any:
		for i := range v {
			v[i] = Placeholder
		}
		return v
	}
	return Placeholder
}

// anyValue applies the value patterns to the strings inside v.
func (r *Redactor) anyValue(v any) any {
	switch v := v.(type) {
	case string:
		return r.attrString(v)
	case []string:
		for i, s := range v {
			v[i] = r.attrString(s)
		}
	case []any:
		for i, e := range v {
			v[i] = r.anyValue(e)
		}
	case map[string]any:
		r.Attributes(v)
	}
	return v
}

func (r *Redactor) attrString(s string) string {
	if c := firstNonSpace(s); c == '{' || c == '[' {
		if b := r.JSON([]byte(s)); string(b) != s {
			return string(b)
		}
		return s
	}
	return r.Text(s)
}

// firstNonSpace is the first byte of s that is not a space, tab, CR or LF
// (0 when none): strings.TrimLeft with a cut set costs more than the scan.
func firstNonSpace(s string) byte {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\r', '\n':
		default:
			return s[i]
		}
	}
	return 0
}
