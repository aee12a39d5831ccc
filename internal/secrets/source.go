// Package secrets resolves `${secrets.NAME}` and `${vars.NAME}` references on
// the worker and masks every resolved secret value out of whatever the check
// reports. Secret values never appear in its errors.
package secrets

import (
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// EnvPrefix starts the environment variables that hold secrets:
// VIGIL_SECRET_DB_PASSWORD holds ${secrets.DB_PASSWORD}.
const EnvPrefix = "VIGIL_SECRET_"

// Source looks secret values up by name.
type Source interface {
	Lookup(name string) (string, bool)
}

// mapSource is a fixed set of secrets.
type mapSource map[string]string

// Lookup tries the name as written, then its environment-variable spelling
// (upper case, '-' and '.' as '_'), so ${secrets.db-password} finds
// VIGIL_SECRET_DB_PASSWORD.
func (s mapSource) Lookup(name string) (string, bool) {
	if v, ok := s[name]; ok {
		return v, true
	}
	v, ok := s[envName(name)]
	return v, ok
}

// envName is the environment spelling of a secret name, without the prefix.
func envName(name string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '.' {
			return '_'
		}
		return r
	}, strings.ToUpper(name))
}

// FromEnv reads VIGIL_SECRET_<NAME>=value entries of environ (pass
// os.Environ()). Entries without the prefix are ignored.
func FromEnv(environ []string) Source {
	s := mapSource{}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, EnvPrefix) || len(k) == len(EnvPrefix) {
			continue
		}
		s[strings.TrimPrefix(k, EnvPrefix)] = v
	}
	return s
}

// FromFile reads a YAML mapping of secret name to value. Errors name the
// file and line but never a value.
func FromFile(path string) (Source, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read secrets file: %w", err)
	}
	s, err := parseFile(data)
	if err != nil {
		return nil, fmt.Errorf("secrets file %s: %w", path, err)
	}
	return s, nil
}

// parseFile walks the YAML nodes itself rather than unmarshalling, because
// yaml's type errors quote the offending value, which may be a secret.
func parseFile(data []byte) (mapSource, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse YAML: %w", err)
	}
	s := mapSource{}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return s, nil // empty file
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: want a mapping of secret name to value", root.Line)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			return nil, fmt.Errorf("line %d: secret names must be non-empty strings", k.Line)
		}
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
			return nil, fmt.Errorf("line %d: secret %q: want a string value", v.Line, k.Value)
		}
		if _, dup := s[k.Value]; dup {
			return nil, fmt.Errorf("line %d: secret %q is defined twice", k.Line, k.Value)
		}
		s[k.Value] = v.Value
	}
	return s, nil
}

// chain asks each source in turn.
type chain []Source

func (c chain) Lookup(name string) (string, bool) {
	for _, s := range c {
		if v, ok := s.Lookup(name); ok {
			return v, true
		}
	}
	return "", false
}

// Chain asks the sources in order; the first that has the name wins. Nil
// sources are skipped.
func Chain(sources ...Source) Source {
	c := make(chain, 0, len(sources))
	for _, s := range sources {
		if s != nil {
			c = append(c, s)
		}
	}
	return c
}
