package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
)

// labelSet is a set of group labels.
type labelSet uint8

const (
	hasMonitor labelSet = 1 << iota
	hasLocation
	hasStep
	hasService
	hasDomain
	hasHeader
	hasError
)

func labelBit(name string) labelSet {
	return labelSet(1) << slices.Index(groupLabels, name)
}

// groupLabelNames are the labels of a rule's groups: its group_by, then
// the label its kind always groups by.
func groupLabelNames(r *Rule) []string {
	names := slices.Clone(r.GroupBy)
	implicit := ""
	switch r.Kind {
	case KindNewError, KindErrorSpike:
		implicit = LabelError
	case KindUnexpectedResource:
		implicit = LabelDomain
	case KindResponseHeader:
		implicit = LabelHeader
	case KindLatency:
		if r.Measure == MeasureStepDuration && r.Step == "" {
			implicit = LabelStep
		}
	}
	if implicit != "" && !slices.Contains(names, implicit) {
		names = append(names, implicit)
	}
	return names
}

func groupLabelsOf(names []string) labelSet {
	var s labelSet
	for _, n := range names {
		if slices.Contains(groupLabels, n) {
			s |= labelBit(n)
		}
	}
	return s
}

// groupID identifies a group within a rule: the values of its labels,
// empty for labels it does not group by. Comparable, so a map key that
// costs no allocation.
type groupID struct {
	monitor, location, step, service, domain, header, err string
}

func (g *groupID) get(label string) string {
	switch label {
	case LabelMonitor:
		return g.monitor
	case LabelLocation:
		return g.location
	case LabelStep:
		return g.step
	case LabelService:
		return g.service
	case LabelDomain:
		return g.domain
	case LabelHeader:
		return g.header
	default:
		return g.err
	}
}

// maxKey bounds a key: it goes into workflow ids.
const maxKey = 120

// isPlain reports whether s is non-empty and made of [A-Za-z0-9_-].
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if !plainByte(s[i]) {
			return false
		}
	}
	return s != ""
}

func plainByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// alertKey is the rule name and label values joined by dots when that is
// unambiguous (no part empty or holding a dot or another character a
// workflow id should not have) and short; otherwise a readable prefix and
// a hash of the exact values.
func alertKey(rule string, names []string, g *groupID) string {
	parts := make([]string, 0, len(names)+1)
	parts = append(parts, rule)
	plain := isPlain(rule)
	for _, n := range names {
		v := g.get(n)
		parts = append(parts, v)
		plain = plain && isPlain(v)
	}
	key := strings.Join(parts, ".")
	if plain && len(key) <= maxKey {
		return key
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	prefix := sanitize(key)
	if len(prefix) > maxKey-17 {
		prefix = prefix[:maxKey-17]
	}
	return prefix + "-" + hex.EncodeToString(sum[:8])
}

// sanitize replaces the characters a workflow id should not have.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 128 && (r == '.' || plainByte(byte(r))) {
			return r
		}
		return '_'
	}, s)
}
