package redact

import (
	"regexp"
	"strings"
)

// textRule replaces the matches of a regexp in text.
type textRule struct {
	*counter
	re     *regexp.Regexp
	fn     func(string) (string, int) // instead of re: returns the new text and the count
	repl   string
	expand bool // repl has $ references
	luhn   bool // only matches whose digits pass the Luhn check
	need   hint // cheap pre-check; 0: always run
}

// hint records what a cheap byte scan saw, so that a built-in regexp runs
// only on text that could match it.
type hint uint8

const (
	hintDigits hint = 1 << iota // 13 or more digits: maybe a card number
	hintBearer                  // "bearer", any case
	hintJWT                     // "eyJ"
	hintAWSKey                  // "AKIA" or "ASIA"
	hintSecret                  // "secret", any case
	hintAt                      // '@'
)

// builtinText is the table of built-in regexps, in the order they apply:
// the token patterns before the card scanner so that digits inside a token
// do not split it.
var builtinText = []struct {
	name, re, repl string
	need           hint
}{
	{"bearer", "", "", hintBearer}, // code: bearerTokens

	{"jwt", `eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`, Placeholder, hintJWT},
	{"aws_access_key_id", `(?:AKIA|ASIA)[A-Z0-9]{16}`, Placeholder, hintAWSKey},
	{"aws_secret_access_key", `(?i)(secret_?access_?key["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]+`, "${1}" + Placeholder, hintSecret},
}

var emailRule = struct {
	name, re string
}{"email", `[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`}

func (r *Redactor) builtinText(defaults, emails bool) []*textRule {
	var rs []*textRule
	if defaults {
		for _, b := range builtinText {
			t := &textRule{counter: r.counter("pattern:" + b.name), fn: bearerTokens, need: b.need}
			if b.re != "" {
				t.fn, t.re, t.repl, t.expand = nil, regexp.MustCompile(b.re), b.repl, strings.Contains(b.repl, "$")
			}
			rs = append(rs, t)
		}
	}
	if emails {
		rs = append(rs, &textRule{counter: r.counter("pattern:" + emailRule.name),
			re: regexp.MustCompile(emailRule.re), repl: Placeholder, need: hintAt})
	}
	return rs
}

// Text applies the value patterns (configured ones first, then the built-in
// ones) to free text. It returns s itself when nothing matched.
func (r *Redactor) Text(s string) string {
	for _, p := range r.user {
		s = p.apply(s)
	}
	h := scan(s)
	if h == 0 {
		return s
	}
	for _, p := range r.builtin {
		if h&p.need != 0 {
			s = p.apply(s)
		}
	}
	if h&hintDigits != 0 && r.card != nil {
		s = r.cards(s)
	}
	return s
}

func (p *textRule) apply(s string) string {
	if p.fn != nil {
		out, n := p.fn(s)
		p.add(n)
		return out
	}
	ms := p.re.FindAllStringSubmatchIndex(s, -1)
	if ms == nil {
		return s
	}
	b := make([]byte, 0, len(s)+len(Placeholder))
	last, n := 0, 0
	for _, m := range ms {
		if p.luhn && !luhn(s[m[0]:m[1]]) {
			continue
		}
		b = append(b, s[last:m[0]]...)
		if p.expand {
			b = p.re.ExpandString(b, p.repl, s, m)
		} else {
			b = append(b, p.repl...)
		}
		last = m[1]
		n++
	}
	if n == 0 {
		return s
	}
	p.add(n)
	return string(append(b, s[last:]...))
}

// scanTable marks the bytes scan looks at: digits, and one rare byte of
// each keyword ('b' of bearer, 'c' of secret, 'J' of eyJ, 'K'/'S' of
// AKIA/ASIA), so that most bytes cost one load and one branch.
var scanTable = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = 1
	}
	for _, c := range "@bBcCJKS" {
		t[c] = 2
	}
	return t
}()

// scan is the pre-check: one pass over the bytes, no allocation.
func scan(s string) hint {
	var h hint
	digits := 0
	for i := 0; i < len(s); i++ {
		switch scanTable[s[i]] {
		case 0:
			continue
		case 1:
			digits++
			continue
		}
		switch s[i] {
		case '@':
			h |= hintAt
		case 'b', 'B':
			if hasFoldAt(s, i+1, "earer") {
				h |= hintBearer
			}
		case 'c', 'C':
			if i >= 2 && hasFoldAt(s, i-2, "secret") {
				h |= hintSecret
			}
		case 'J':
			if i >= 2 && s[i-2] == 'e' && s[i-1] == 'y' {
				h |= hintJWT
			}
		case 'K', 'S':
			if i >= 1 && s[i-1] == 'A' && i+2 < len(s) && s[i+1] == 'I' && s[i+2] == 'A' {
				h |= hintAWSKey
			}
		}
	}
	if digits >= minCardDigits {
		h |= hintDigits
	}
	return h
}

// hasFoldAt reports whether s[i:] starts with lower, ignoring ASCII case.
func hasFoldAt(s string, i int, lower string) bool {
	if len(s)-i < len(lower) {
		return false
	}
	for j := 0; j < len(lower); j++ {
		if s[i+j]|0x20 != lower[j] {
			return false
		}
	}
	return true
}

// bearerTokens replaces the token after "bearer" and white space (any
// case), as the regexp (?i)(bearer\s+)[A-Za-z0-9\-._~+/]+=* would, five
// times faster: Authorization-like values are common.
func bearerTokens(s string) (string, int) {
	var b []byte
	last, n := 0, 0
	for i := 0; i+len("bearer") < len(s); i++ {
		if s[i]|0x20 != 'b' || !hasFoldAt(s, i+1, "earer") {
			continue
		}
		start := i + len("bearer")
		for start < len(s) && strings.IndexByte(" \t\n\f\r", s[start]) >= 0 {
			start++
		}
		end := start
		for end < len(s) && tokenByte(s[end]) {
			end++
		}
		if start == i+len("bearer") || end == start {
			continue
		}
		for end < len(s) && s[end] == '=' {
			end++
		}
		if b == nil {
			b = make([]byte, 0, len(s)+len(Placeholder))
		}
		b = append(append(b, s[last:start]...), Placeholder...)
		last, i = end, end-1
		n++
	}
	if n == 0 {
		return s, 0
	}
	return string(append(b, s[last:]...)), n
}

// tokenByte reports whether c may be part of an RFC 6750 b64token.
func tokenByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/'
}
