// Package redact filters sensitive data out of spans before they are
// stored: every input (eBPF HTTP spans, agent datagrams, OTLP, synthetic
// results) passes headers, URLs, bodies, attributes and free text through
// one Redactor so that no credential reaches the store, the spool or the
// logs.
//
// A Redactor is built once from a Config and is safe for concurrent use.
// Methods return their input unchanged (same string, same slice) when
// nothing matched, so the common case does not allocate. What was redacted
// is counted per rule (Counts); the redacted values themselves are never
// logged, counted or returned.
package redact

import (
	"bytes"
	"fmt"
	"math/bits"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
)

// Redactor applies a compiled Config.
type Redactor struct {
	headers, query, json fieldSet
	user                 []*textRule // Config.Patterns, in order
	builtin              []*textRule // bearer, JWT, AWS, e-mail
	card                 *counter    // the built-in credit card scanner
	userinfo             *counter    // credentials in URLs
	counters             []*counter
	attrKinds            nameCache[attrKind]   // by attribute key
	queryRules           nameCache[*fieldRule] // by decoded query parameter name
	spanNames            cleanTexts            // span names URLText leaves as they are
	// redactions counts every redaction of every rule: a call that left
	// it unchanged counted nothing.
	redactions atomic.Uint64
}

// counter counts the redactions of one rule, and of all rules in all.
type counter struct {
	name string
	n    atomic.Uint64
	all  *atomic.Uint64 // Redactor.redactions
}

func (c *counter) add(n int) {
	if n != 0 {
		c.n.Add(uint64(n))
		c.all.Add(uint64(n))
	}
}

// New compiles c. Only the rules of c are validated; the built-in ones are
// known to be good.
func New(c Config) (*Redactor, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if !c.DisableDefaults {
		b := Builtin()
		c.Headers = append(slices.Clip(c.Headers), b.Headers...)
		c.QueryParams = append(slices.Clip(c.QueryParams), b.QueryParams...)
		c.JSONFields = append(slices.Clip(c.JSONFields), b.JSONFields...)
	}
	r := &Redactor{}
	var err error
	if r.headers, err = r.fieldSet("header", c.Headers); err != nil {
		return nil, err
	}
	if r.query, err = r.fieldSet("query", c.QueryParams); err != nil {
		return nil, err
	}
	if r.json, err = r.fieldSet("json", c.JSONFields); err != nil {
		return nil, err
	}
	for _, p := range c.Patterns {
		re, err := regexp.Compile(p.Regexp)
		if err != nil {
			return nil, err
		}
		repl := p.Replacement
		if repl == "" {
			repl = Placeholder
		}
		r.user = append(r.user, &textRule{counter: r.counter("pattern:" + p.Name), re: re,
			repl: repl, expand: strings.Contains(repl, "$"), luhn: p.Luhn})
	}
	r.builtin = r.builtinText(!c.DisableDefaults, c.Emails)
	if !c.DisableDefaults {
		r.card = r.counter("pattern:credit_card")
		r.userinfo = r.counter("url:userinfo")
	}
	return r, nil
}

// MustNew is New for configurations known to be valid (tests, Default()).
func MustNew(c Config) *Redactor {
	r, err := New(c)
	if err != nil {
		panic(err)
	}
	return r
}

func (r *Redactor) counter(name string) *counter {
	c := &counter{name: name, all: &r.redactions}
	r.counters = append(r.counters, c)
	return c
}

// Counts returns the number of redactions (values replaced or dropped,
// pattern matches) per rule name since New, including rules with zero.
func (r *Redactor) Counts() map[string]uint64 {
	m := make(map[string]uint64, len(r.counters))
	for _, c := range r.counters {
		m[c.name] += c.n.Load()
	}
	return m
}

// RuleNames returns the sorted names Counts uses, e.g. "header:authorization",
// "query:token", "json:password", "pattern:credit_card", "url:userinfo", so
// that callers can register one metric per rule up front.
func (r *Redactor) RuleNames() []string {
	names := make([]string, 0, len(r.counters))
	for _, c := range r.counters {
		names = append(names, c.name)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// fieldRule is a compiled FieldRule.
type fieldRule struct {
	*counter        // nil for ActionKeep
	action   Action // never empty
	order    int
	lits     [][]byte       // lower-case literals: Pattern "a|b" as substring tests
	first    [256]uint16    // per byte, the bit set of the lits starting with it
	re       *regexp.Regexp // the Pattern, for names that are not ASCII
}

// fieldSet matches names against the rules of one kind; the first rule in
// configuration order wins.
type fieldSet struct {
	exact    map[string]*fieldRule // key: normName
	patterns []*fieldRule          // by order
}

func (r *Redactor) fieldSet(kind string, rules []FieldRule) (fieldSet, error) {
	fs := fieldSet{exact: map[string]*fieldRule{}}
	for i, fr := range rules {
		f := &fieldRule{action: fr.Action, order: i}
		if f.action == "" {
			f.action = ActionRedact
		}
		label := fr.Label
		if label == "" {
			label = strings.ToLower(fr.Name)
			if fr.Pattern != "" {
				label = "~" + fr.Pattern
			}
		}
		if f.action != ActionKeep {
			f.counter = r.counter(kind + ":" + label)
		}
		if fr.Pattern == "" {
			k := string(normName(nil, fr.Name))
			if _, dup := fs.exact[k]; !dup {
				fs.exact[k] = f
			}
			continue
		}
		re, err := regexp.Compile("(?i)" + fr.Pattern)
		if err != nil {
			return fs, fmt.Errorf("redact: %s rule %d: %w", kind, i, err)
		}
		f.re, f.lits = re, literals(fr.Pattern)
		for k, l := range f.lits {
			f.first[l[0]] |= 1 << k
		}
		fs.patterns = append(fs.patterns, f)
	}
	return fs, nil
}

// match returns the rule for name, or nil.
func (fs *fieldSet) match(name string) *fieldRule {
	var buf [64]byte
	best := fs.exact[string(normName(buf[:0], name))]
	if len(fs.patterns) == 0 {
		return best
	}
	lower, ascii := lowerASCII(buf[:0], name)
	for _, p := range fs.patterns {
		if best != nil && p.order > best.order {
			break
		}
		if p.matches(name, lower, ascii) {
			return p
		}
	}
	return best
}

func (f *fieldRule) matches(name string, lower []byte, ascii bool) bool {
	if f.lits == nil || !ascii {
		return f.re.MatchString(name)
	}
	// One pass over the name instead of one bytes.Contains per literal.
	for i, c := range lower {
		for m := f.first[c]; m != 0; m &= m - 1 {
			if bytes.HasPrefix(lower[i:], f.lits[bits.TrailingZeros16(m)]) {
				return true
			}
		}
	}
	return false
}

// literals returns the lower-cased alternatives of a pattern made only of
// ASCII literals joined by "|", which are matched with substring tests
// instead of a regexp (header names are checked on every span).
func literals(pattern string) [][]byte {
	var lits [][]byte
	for l := range strings.SplitSeq(pattern, "|") {
		if l == "" || regexp.QuoteMeta(l) != l || len(lits) == 16 {
			return nil
		}
		for i := 0; i < len(l); i++ {
			if l[i] >= 0x80 {
				return nil
			}
		}
		lits = append(lits, []byte(strings.ToLower(l)))
	}
	return lits
}

// normName appends name lower-cased (ASCII) without '-' and '_'.
func normName(dst []byte, name string) []byte {
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-' || c == '_':
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// lowerASCII appends name lower-cased and reports whether it is all ASCII.
func lowerASCII(dst []byte, name string) ([]byte, bool) {
	ascii := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		ascii = ascii && c < 0x80
		dst = append(dst, c)
	}
	return dst, ascii
}
