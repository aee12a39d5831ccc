package monitor

import (
	"fmt"
	"strings"
)

// Kinds of references a string value may hold.
const (
	RefVars    = "vars"    // ${vars.NAME}: extracted by an earlier step
	RefSecrets = "secrets" // ${secrets.NAME}: resolved on the worker
)

// Reference is one ${kind.NAME} placeholder in a string value.
type Reference struct {
	Kind string // RefVars or RefSecrets
	Name string
}

func (r Reference) String() string { return "${" + r.Kind + "." + r.Name + "}" }

// References returns the placeholders of s in order, or an error naming the
// first malformed one. Text without "${" is returned as is, so "$5" is fine.
func References(s string) ([]Reference, error) {
	var refs []Reference
	err := scanPlaceholders(s, func(r Reference, _ string) { refs = append(refs, r) }, nil)
	return refs, err
}

// Expand replaces every placeholder of s by what resolve returns for it.
func Expand(s string, resolve func(Reference) (string, error)) (string, error) {
	var b strings.Builder
	var resolveErr error
	err := scanPlaceholders(s, func(r Reference, _ string) {
		if resolveErr != nil {
			return
		}
		v, err := resolve(r)
		if err != nil {
			resolveErr = fmt.Errorf("resolve %s: %w", r, err)
			return
		}
		b.WriteString(v)
	}, func(text string) { b.WriteString(text) })
	if err != nil {
		return "", err
	}
	if resolveErr != nil {
		return "", resolveErr
	}
	return b.String(), nil
}

// scanPlaceholders calls onRef for each placeholder and onText (when not
// nil) for the text between them.
func scanPlaceholders(s string, onRef func(Reference, string), onText func(string)) error {
	for {
		start := strings.Index(s, "${")
		if start < 0 {
			break
		}
		end := strings.IndexByte(s[start:], '}')
		if end < 0 {
			return fmt.Errorf("unterminated placeholder %q; expected ${vars.NAME} or ${secrets.NAME}", s[start:])
		}
		raw := s[start : start+end+1]
		ref, ok := parseReference(raw[2 : len(raw)-1])
		if !ok {
			return fmt.Errorf("invalid placeholder %q; expected ${vars.NAME} or ${secrets.NAME} with NAME made of letters, digits and _ (not starting with a digit)", raw)
		}
		if onText != nil {
			onText(s[:start])
		}
		onRef(ref, raw)
		s = s[start+end+1:]
	}
	if onText != nil {
		onText(s)
	}
	return nil
}

func parseReference(inner string) (Reference, bool) {
	kind, name, ok := strings.Cut(inner, ".")
	if !ok || (kind != RefVars && kind != RefSecrets) || !isIdentifier(name) {
		return Reference{}, false
	}
	return Reference{Kind: kind, Name: name}, true
}

// isIdentifier reports whether s matches [A-Za-z_][A-Za-z0-9_]*.
func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		letter := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		digit := c >= '0' && c <= '9'
		if !letter && !(digit && i > 0) {
			return false
		}
	}
	return true
}
