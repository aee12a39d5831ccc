package alert

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/internal/monitor"
)

// report collects the problems of one file.
type report struct {
	file string
	errs []monitor.ValidationError
}

func (r *report) add(pos Position, format string, args ...any) {
	r.errs = append(r.errs, monitor.ValidationError{File: r.file, Line: pos.Line, Column: pos.Column, Message: fmt.Sprintf(format, args...)})
}

// item reads the fields of one rule or channel strictly: every problem is
// reported at the node at fault and marks the item bad, so that it is
// dropped while the other items of the file are kept.
type item struct {
	r    *report
	what string // `rule "name"`, for messages
	pos  Position
	vals map[string]*node
	bad  bool
	// failed holds the fields already reported, so that a value that could
	// not be read is not also reported as out of range
	failed map[string]bool
}

// newItem checks that n is a mapping of known fields. Messages name the
// item by its name when it has one, else by what.
func newItem(r *report, n *node, kind, what string, known []string) *item {
	it := &item{r: r, what: what, pos: n.pos, vals: map[string]*node{}, failed: map[string]bool{}}
	it.named(kind, itemName(n))
	if n.kind != mappingNode {
		it.failAt(n.pos, "expected a mapping, got %s", describe(n))
		return it
	}
	for _, p := range n.pairs {
		name := p.key.text
		switch {
		case p.key.kind != scalarNode:
			it.failAt(p.key.pos, "keys must be strings, got %s", describe(p.key))
		case it.vals[name] != nil:
			it.failAt(p.key.pos, "field %q is set twice", name)
		case !contains(known, name):
			it.unknown(p.key, known)
		default:
			it.vals[name] = p.value
		}
	}
	return it
}

func (it *item) unknown(key *node, known []string) {
	msg := fmt.Sprintf("unknown field %q", key.text)
	if s := monitor.Suggest(key.text, known); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	it.failAt(key.pos, "%s; expected one of: %s", msg, strings.Join(known, ", "))
}

// itemName is the name an item was given, read leniently.
func itemName(n *node) string {
	if n.kind != mappingNode {
		return ""
	}
	for _, p := range n.pairs {
		if p.key.text == "name" && p.value.kind == scalarNode {
			return p.value.text
		}
	}
	return ""
}

// named sets the name used in later messages.
func (it *item) named(kind, name string) {
	if name != "" {
		it.what = fmt.Sprintf("%s %q", kind, name)
	}
}

func (it *item) failAt(pos Position, format string, args ...any) {
	it.bad = true
	it.r.add(pos, "%s: %s", it.what, fmt.Sprintf(format, args...))
}

// fail reports a problem with the value of a field.
func (it *item) fail(field, format string, args ...any) {
	if it.failed[field] {
		return
	}
	it.failed[field] = true
	pos := it.pos
	if n := it.vals[field]; n != nil {
		pos = n.pos
	}
	it.failAt(pos, "%s: %s", field, fmt.Sprintf(format, args...))
}

func (it *item) has(field string) bool {
	n := it.vals[field]
	return n != nil && !n.null
}

func (it *item) scalar(field, expected string) (*node, bool) {
	n := it.vals[field]
	if n == nil || n.null {
		return nil, false
	}
	if n.kind != scalarNode {
		it.fail(field, "expected %s, got %s", expected, describe(n))
		return nil, false
	}
	return n, true
}

func (it *item) str(field string) string {
	n, ok := it.scalar(field, "a string")
	if !ok {
		return ""
	}
	return n.text
}

// strList reads a list of strings and where each was written.
func (it *item) strList(field string) ([]string, []Position) {
	n := it.vals[field]
	if n == nil || n.null {
		return nil, nil
	}
	if n.kind != sequenceNode {
		it.fail(field, "expected a list, got %s", describe(n))
		return nil, nil
	}
	out := make([]string, 0, len(n.items))
	pos := make([]Position, 0, len(n.items))
	for i, x := range n.items {
		if x.kind != scalarNode || x.null || x.text == "" {
			it.failAt(x.pos, "%s[%d]: expected a non-empty string, got %s", field, i, describe(x))
			continue
		}
		out = append(out, x.text)
		pos = append(pos, x.pos)
	}
	return out, pos
}

func (it *item) integer(field string) int {
	n, ok := it.scalar(field, "an integer")
	if !ok {
		return 0
	}
	v, err := strconv.Atoi(n.text)
	if err != nil {
		it.fail(field, "expected an integer, got %s", describe(n))
	}
	return v
}

func (it *item) number(field string) float64 {
	n, ok := it.scalar(field, "a number")
	if !ok {
		return 0
	}
	v, err := strconv.ParseFloat(n.text, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		it.fail(field, "expected a number, got %s", describe(n))
	}
	return v
}

// duration reads a non-negative duration such as 30s or 10m.
func (it *item) duration(field string) time.Duration {
	n, ok := it.scalar(field, "a duration")
	if !ok {
		return 0
	}
	d, err := monitor.ParseDuration(n.text)
	if err != nil {
		it.fail(field, "%v", err)
		return 0
	}
	if d < 0 {
		it.fail(field, "must not be negative, got %s", n.text)
	}
	return d.Std()
}

// oneOf reads a string that must be one of values.
func (it *item) oneOf(field string, values ...string) string {
	s := it.str(field)
	if it.has(field) && !contains(values, s) {
		it.fail(field, "expected one of %s, got %q", strings.Join(values, ", "), s)
	}
	return s
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }
