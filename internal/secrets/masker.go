package secrets

import (
	"cmp"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Placeholder is what a secret value is replaced with.
const Placeholder = "***"

// minLen is the shortest value masked; shorter ones (the empty string) would
// match everywhere.
const minLen = 1

// Masker is a concurrency-safe set of secret values that Mask removes from
// text. The zero value is ready to use.
type Masker struct {
	mu       sync.RWMutex
	values   map[string]struct{}
	replacer *strings.Replacer // nil when there is nothing to mask
}

// NewMasker returns an empty Masker.
func NewMasker() *Masker { return &Masker{} }

// Add registers a secret value and the escaped forms it may take in URLs,
// JSON and quoted Go strings.
func (m *Masker) Add(value string) {
	if len(value) < minLen {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.values == nil {
		m.values = map[string]struct{}{}
	}
	before := len(m.values)
	for _, f := range forms(value) {
		if len(f) >= minLen {
			m.values[f] = struct{}{}
		}
	}
	if len(m.values) != before {
		m.replacer = buildReplacer(m.values)
	}
}

// forms lists the spellings a value takes once encoded, including JSON
// inside JSON (a JSON request body echoed in a JSON response).
func forms(v string) []string {
	out := []string{
		v,
		url.QueryEscape(v),
		url.PathEscape(v),
		(&url.URL{Path: v}).EscapedPath(), // a path keeps its slashes
		strings.TrimPrefix(url.UserPassword("", v).String(), ":"),
		unquote(strconv.Quote(v)),
		unquote(strconv.QuoteToASCII(v)),
	}
	for _, html := range []bool{true, false} {
		once := jsonEscape(v, html)
		out = append(out, once, jsonEscape(once, true), jsonEscape(once, false))
	}
	return out
}

// jsonEscape is v as it appears inside a JSON string, with or without
// the HTML escapes (\u003c) that encoding/json adds by default.
func jsonEscape(v string, html bool) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(html)
	if err := enc.Encode(v); err != nil {
		return v
	}
	return unquote(strings.TrimSuffix(b.String(), "\n"))
}

func unquote(q string) string { return q[1 : len(q)-1] }

// buildReplacer orders values longest first: strings.Replacer tries the
// pairs in argument order at each position, so a secret that contains
// another is masked whole.
func buildReplacer(values map[string]struct{}) *strings.Replacer {
	vs := make([]string, 0, len(values))
	for v := range values {
		vs = append(vs, v)
	}
	slices.SortFunc(vs, func(a, b string) int {
		if c := cmp.Compare(len(b), len(a)); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	pairs := make([]string, 0, 2*len(vs))
	for _, v := range vs {
		pairs = append(pairs, v, Placeholder)
	}
	return strings.NewReplacer(pairs...)
}

// Len is the number of spellings registered (a value counts once per form).
func (m *Masker) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.values)
}

// Mask replaces every occurrence of every registered value with ***.
func (m *Masker) Mask(s string) string {
	m.mu.RLock()
	r := m.replacer
	m.mu.RUnlock()
	if r == nil || s == "" {
		return s
	}
	return r.Replace(s)
}

// MaskMap returns a copy of in with every value masked (keys too: a header
// name could carry a secret).
func (m *Masker) MaskMap(in map[string]string) map[string]string {
	if in == nil {
		return nil
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[m.Mask(k)] = m.Mask(v)
	}
	return out
}

// MaskSlice masks every element of in, in place, and returns it.
func (m *Masker) MaskSlice(in []string) []string {
	for i, s := range in {
		in[i] = m.Mask(s)
	}
	return in
}
