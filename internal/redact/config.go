package redact

import (
	"errors"
	"fmt"
	"regexp"
)

// Action says what happens to a header, query parameter, JSON field or
// attribute whose name matches a rule.
type Action string

// Actions. The empty Action means ActionRedact.
const (
	ActionRedact Action = "redact" // keep the name, replace the value with Placeholder
	ActionDrop   Action = "drop"   // remove name and value
	// ActionKeep exempts a name from later rules (the built-in ones included)
	// without disabling every default: e.g. a harmless "code" query parameter.
	// Value patterns still apply to the value.
	ActionKeep Action = "keep"
)

// Placeholder replaces redacted values.
const Placeholder = "[REDACTED]"

// FieldRule matches a header, query parameter or JSON field by name.
// Exactly one of Name and Pattern is set.
type FieldRule struct {
	// Name matches case-insensitively, ignoring '-' and '_' so that
	// "access_token", "accessToken" and "Access-Token" are one name.
	Name string `yaml:"name,omitempty"`
	// Pattern is a Go regexp matched case-insensitively against the name.
	Pattern string `yaml:"pattern,omitempty"`
	Action  Action `yaml:"action,omitempty"`
	// Label names the rule's counter after the "header:" (etc.) prefix;
	// defaults to the lower-cased Name, or "~" and the Pattern.
	Label string `yaml:"label,omitempty"`
}

// PatternRule replaces every match of a regexp in free text.
type PatternRule struct {
	Name   string `yaml:"name"`
	Regexp string `yaml:"regexp"`
	// Replacement may use $1 / ${name} submatches; default Placeholder.
	Replacement string `yaml:"replacement,omitempty"`
	// Luhn replaces only the matches whose digits pass the Luhn check.
	Luhn bool `yaml:"luhn,omitempty"`
}

// Config lists the rules. The built-in rules (Builtin) apply after the
// listed ones unless DisableDefaults is set; the first matching rule wins,
// so a listed rule overrides a built-in one for the same name.
type Config struct {
	Headers     []FieldRule   `yaml:"headers,omitempty"`
	QueryParams []FieldRule   `yaml:"query_params,omitempty"`
	JSONFields  []FieldRule   `yaml:"json_fields,omitempty"`
	Patterns    []PatternRule `yaml:"patterns,omitempty"`
	// Emails redacts e-mail addresses in text (off by default: they are
	// often the useful part of a message and rarely a credential).
	Emails          bool `yaml:"emails,omitempty"`
	DisableDefaults bool `yaml:"disable_defaults,omitempty"`
}

// Default is the configuration used when none is given: the built-in rules
// only. It is the zero Config; see Builtin for what it applies.
func Default() Config { return Config{} }

// Builtin returns the built-in rules as a Config (for documentation and
// "show config" commands). The built-in value patterns (credit cards,
// bearer tokens, AWS keys, JWTs, e-mails) are code, not regexps, and are
// not listed.
func Builtin() Config {
	names := func(label, pattern string, ns ...string) []FieldRule {
		rs := make([]FieldRule, 0, len(ns)+1)
		for _, n := range ns {
			rs = append(rs, FieldRule{Name: n, Action: ActionRedact})
		}
		return append(rs, FieldRule{Pattern: pattern, Action: ActionRedact, Label: label})
	}
	return Config{
		Headers: names("sensitive-name", "token|secret|api-key|api_key|apikey|password|passwd",
			"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key",
			"Api-Key", "X-Auth-Token", "X-Amz-Security-Token", "X-Goog-Api-Key"),
		QueryParams: names("sensitive-name", "password|passwd|secret",
			"token", "access_token", "refresh_token", "id_token", "key", "api_key", "apikey",
			"password", "passwd", "pwd", "secret", "client_secret", "signature", "sig",
			"x-amz-signature", "x-amz-credential", "x-amz-security-token", "auth", "code",
			"AWSAccessKeyId", "X-Goog-Signature", "X-Goog-Credential"),
		// No "token" substring here: "prompt_tokens" and friends are common
		// and harmless in JSON bodies.
		JSONFields: names("sensitive-name", "password|passwd|secret",
			"password", "passwd", "secret", "token", "access_token", "refresh_token",
			"id_token", "api_key", "apikey", "client_secret", "credit_card", "card_number",
			"cvv", "ssn", "secret_access_key", "session_token", "private_key", "authorization"),
	}
}

// Validate reports every bad rule at once: which list, its index, the field
// and why.
func (c Config) Validate() error {
	var errs []error
	fields := func(list string, rs []FieldRule) {
		for i, r := range rs {
			at := fmt.Sprintf("redact.%s[%d]", list, i)
			switch {
			case r.Name == "" && r.Pattern == "":
				errs = append(errs, fmt.Errorf("%s: needs a name or a pattern", at))
			case r.Name != "" && r.Pattern != "":
				errs = append(errs, fmt.Errorf("%s: has both a name and a pattern; set one", at))
			case r.Pattern != "":
				if _, err := regexp.Compile(r.Pattern); err != nil {
					errs = append(errs, fmt.Errorf("%s.pattern: %w", at, err))
				}
			}
			switch r.Action {
			case "", ActionRedact, ActionDrop, ActionKeep:
			default:
				errs = append(errs, fmt.Errorf("%s.action %q must be redact, drop or keep", at, r.Action))
			}
		}
	}
	fields("headers", c.Headers)
	fields("query_params", c.QueryParams)
	fields("json_fields", c.JSONFields)
	seen := map[string]int{}
	for i, p := range c.Patterns {
		at := fmt.Sprintf("redact.patterns[%d]", i)
		if p.Name == "" {
			errs = append(errs, fmt.Errorf("%s.name must not be empty", at))
		} else if j, dup := seen[p.Name]; dup {
			errs = append(errs, fmt.Errorf("%s.name %q is already used by redact.patterns[%d]", at, p.Name, j))
		} else {
			seen[p.Name] = i
		}
		if p.Regexp == "" {
			errs = append(errs, fmt.Errorf("%s.regexp must not be empty", at))
			continue
		}
		re, err := regexp.Compile(p.Regexp)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s.regexp: %w", at, err))
			continue
		}
		// A regexp matching "" would insert the replacement between every
		// two characters.
		if re.MatchString("") {
			errs = append(errs, fmt.Errorf("%s.regexp %q matches the empty string", at, p.Regexp))
		}
	}
	return errors.Join(errs...)
}
