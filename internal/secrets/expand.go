package secrets

import (
	"errors"
	"fmt"
	"strings"
)

const (
	varsPrefix    = "vars."
	secretsPrefix = "secrets."
)

// ErrNoMasker is returned when a secret is referenced but no Masker was
// given to record it: resolving it would risk leaking it.
var ErrNoMasker = errors.New("secret referenced without a masker")

// Expand replaces ${vars.NAME} with vars[NAME] and ${secrets.NAME} with the
// value src holds, registering every secret value in m. Other ${...} text is
// left as it is. An unknown name is an error that names it; no error ever
// contains a value.
func Expand(s string, vars map[string]string, src Source, m *Masker) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for {
		start := strings.Index(s, "${")
		if start < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		end := strings.IndexByte(s[start:], '}')
		if end < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		end += start
		ref := strings.TrimSpace(s[start+2 : end])
		val, known, err := resolve(ref, vars, src, m)
		if err != nil {
			return "", err
		}
		b.WriteString(s[:start])
		if known {
			b.WriteString(val)
		} else {
			b.WriteString(s[start : end+1])
		}
		s = s[end+1:]
	}
}

// resolve looks one reference up; known is false for text that is not a
// vars or secrets reference.
func resolve(ref string, vars map[string]string, src Source, m *Masker) (val string, known bool, err error) {
	switch {
	case strings.HasPrefix(ref, varsPrefix):
		name := strings.TrimPrefix(ref, varsPrefix)
		if name == "" {
			return "", true, errors.New("empty variable name in ${vars.}")
		}
		v, ok := vars[name]
		if !ok {
			return "", true, fmt.Errorf("variable %q is not set (extract it in an earlier step)", name)
		}
		return v, true, nil
	case strings.HasPrefix(ref, secretsPrefix):
		name := strings.TrimPrefix(ref, secretsPrefix)
		if name == "" {
			return "", true, errors.New("empty secret name in ${secrets.}")
		}
		var v string
		ok := false
		if src != nil {
			v, ok = src.Lookup(name)
		}
		if !ok {
			return "", true, fmt.Errorf("secret %q is not set (%s%s or the secrets file)", name, EnvPrefix, envName(name))
		}
		if m == nil {
			return "", true, fmt.Errorf("secret %q: %w", name, ErrNoMasker)
		}
		m.Add(v)
		return v, true, nil
	}
	return "", false, nil
}
