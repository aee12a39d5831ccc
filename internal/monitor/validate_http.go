package monitor

import (
	"net/url"
	"sort"
	"strings"
)

// checkSteps validates the steps in order: each one may use the variables
// extracted by the steps before it.
func (c *checker) checkSteps() {
	known := map[string]bool{}
	for i := range c.m.Steps {
		step := &c.m.Steps[i]
		path := indexPath("steps", i)
		if acts := step.browserAction(); len(acts) > 0 && acts[0] != "assert" {
			c.p.add(joinPath(path, acts[0]), c.keyAt(joinPath(path, acts[0])), "%s.%s is a browser action; this is a%s %s monitor (type: browser runs journeys)", path, acts[0], map[bool]string{true: "n", false: ""}[c.m.Type == TypeHTTP], c.m.Type)
			continue
		}
		if !c.present(joinPath(path, "request")) {
			c.missing(path, "request", "%s.request is required", path)
		} else {
			c.checkRequest(&step.Request, joinPath(path, "request"), known)
		}
		c.checkExprs(joinPath(path, "assert"), step.Assert, HTTPEnv{}, true, known)
		c.checkExtract(joinPath(path, "extract"), step.Extract, known)
	}
}

func (c *checker) checkRequest(r *Request, path string, known map[string]bool) {
	urlPath := joinPath(path, "url")
	switch {
	case !c.present(urlPath):
		c.missing(path, "url", "%s is required", urlPath)
	case r.URL == "":
		c.fail(urlPath, "%s is empty", urlPath)
	default:
		c.checkStrings(known, map[string]string{urlPath: r.URL})
		c.checkURL(urlPath, r.URL)
	}
	if r.Method != "" && !isToken(r.Method) {
		c.fail(joinPath(path, "method"), "%s.method %q is not a valid HTTP method; expected a method such as GET, POST, PUT or DELETE", path, r.Method)
	}
	if (r.Body != "" || c.present(joinPath(path, "body"))) && r.JSON != nil {
		c.p.add(joinPath(path, "json"), c.keyAt(joinPath(path, "json")), "%s: body and json are mutually exclusive; keep one of them", path)
	}
	if r.MaxRedirects < 0 {
		c.fail(joinPath(path, "max_redirects"), "%s.max_redirects must not be negative, got %d", path, r.MaxRedirects)
	}
	for name := range r.Headers {
		if !isToken(name) {
			c.p.add(joinPath(path, "headers."+name), c.keyAt(joinPath(path, "headers."+name)), "%s.headers: %q is not a valid header name", path, name)
		}
	}
	strs := map[string]string{joinPath(path, "body"): r.Body}
	for _, field := range []string{"headers", "query"} {
		m := r.Headers
		if field == "query" {
			m = r.Query
		}
		for k, v := range m {
			strs[joinPath(path, field+"."+k)] = v
		}
	}
	walkStrings(r.JSON, joinPath(path, "json"), func(p, s string) { strs[p] = s })
	c.checkStrings(known, strs)
}

// checkURL requires an absolute http(s) URL. Placeholders stand for "0"
// while parsing, which fits a host, a port or a path, so
// "http://${vars.host}:${vars.port}/x" is accepted; the scheme is literal.
func (c *checker) checkURL(path, raw string) {
	bare, err := Expand(raw, func(Reference) (string, error) { return "0", nil })
	if err != nil {
		return // reported by checkStrings
	}
	u, err := url.Parse(bare)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		c.fail(path, "%s must be an absolute http or https URL such as https://example.com/path, got %q", path, raw)
	}
}

// checkStrings checks the placeholders of values (by path). With known
// nil, no variables exist at that point.
func (c *checker) checkStrings(known map[string]bool, values map[string]string) {
	paths := make([]string, 0, len(values))
	for p := range values {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		refs, err := References(values[p])
		if err != nil {
			c.fail(p, "%s: %v", p, err)
			continue
		}
		for _, r := range refs {
			if r.Kind == RefVars && !known[r.Name] {
				c.fail(p, "%s: %s is not extracted by an earlier step%s", p, r, knownHint(known))
			}
		}
	}
}

// checkExprs compiles expressions (assertions when assertion is set) and
// checks that the variables they read exist.
func (c *checker) checkExprs(path string, exprs []string, env any, assertion bool, known map[string]bool) {
	for i, src := range exprs {
		c.checkExpr(indexPath(path, i), src, env, assertion, known)
	}
}

func (c *checker) checkExpr(path, src string, env any, assertion bool, known map[string]bool) {
	what := "expression"
	if assertion {
		what = "assertion"
	}
	vars, err := checkExpr(src, env, assertion)
	if err != nil {
		c.fail(path, "%s: invalid %s %q: %v", path, what, src, err)
		return
	}
	for _, v := range vars {
		if !known[v] {
			c.fail(path, "%s: vars.%s is not extracted by an earlier step%s", path, v, knownHint(known))
			return
		}
	}
}

// checkExtract validates the extractions of one step, then makes their
// names known to the next steps.
func (c *checker) checkExtract(path string, extract map[string]string, known map[string]bool) {
	names := make([]string, 0, len(extract))
	for name := range extract {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := joinPath(path, name)
		if !isIdentifier(name) {
			c.p.add(p, c.keyAt(p), "%s: variable name %q must be made of letters, digits and _ (not starting with a digit)", path, name)
			continue
		}
		c.checkExpr(p, extract[name], HTTPEnv{}, false, known)
	}
	for _, name := range names {
		known[name] = true
	}
}

func knownHint(known map[string]bool) string {
	if len(known) == 0 {
		return " (none is extracted before this point)"
	}
	names := make([]string, 0, len(known))
	for n := range known {
		names = append(names, n)
	}
	sort.Strings(names)
	return " (extracted before this point: " + strings.Join(names, ", ") + ")"
}

// isToken reports whether s is an RFC 9110 token (method or header name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		ch := s[i]
		alnum := (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
		if !alnum && !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(ch)) {
			return false
		}
	}
	return true
}
