package monitor

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// nodeBudget bounds the nodes one document may expand to, so that aliases
// of aliases cannot make a small file cost minutes or gigabytes.
const nodeBudget = 50_000

// decoder fills Go values from nodes strictly: unknown fields and wrong types
// are problems located at the node at fault. It records where every path was
// found so that semantic validation can locate its own problems.
type decoder struct {
	values map[string]located // path -> value node
	keys   map[string]position
	// misspelled holds the paths suggested for unknown fields, so that the
	// field is not also reported as missing
	misspelled map[string]bool
	problems   *problems
	budget     int // nodes left to decode
	depth      int // current nesting
}

// located is where a path was found and whether it was written as null.
type located struct {
	pos  position
	null bool
}

func newDecoder(p *problems) *decoder {
	return &decoder{
		values:     map[string]located{},
		keys:       map[string]position{},
		misspelled: map[string]bool{},
		problems:   p,
		budget:     nodeBudget,
	}
}

// spend counts one node against the budget and reports whether to go on.
func (d *decoder) spend(n *node) bool {
	d.budget--
	if d.budget == 0 {
		d.problems.add("", n.pos, "the document expands to more than %d YAML nodes (too large, or too many aliases)", nodeBudget)
	}
	return d.budget > 0
}

func (d *decoder) decode(n *node, v reflect.Value, path string) {
	if !d.spend(n) || !d.enter(n, path) {
		return
	}
	defer d.leave()
	d.values[path] = located{pos: n.pos, null: n.isNull()}
	if n.isNull() {
		return // null leaves the zero value, as if the key were absent
	}
	if v.Type() == reflect.TypeFor[Duration]() {
		d.duration(n, v, path)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		d.decode(n, elem.Elem(), path)
		v.Set(elem)
	case reflect.Struct:
		d.structure(n, v, path)
	case reflect.Map:
		d.stringMap(n, v, path)
	case reflect.Slice:
		d.list(n, v, path)
	case reflect.String:
		d.str(n, v, path)
	case reflect.Int, reflect.Int64, reflect.Int32:
		d.integer(n, v, path)
	case reflect.Float64:
		d.float(n, v, path)
	case reflect.Bool:
		d.boolean(n, v, path)
	case reflect.Interface:
		if x := d.plain(n, path); x != nil {
			v.Set(reflect.ValueOf(x))
		}
	default:
		d.problems.add(path, n.pos, "%s: cannot decode into %s", displayPath(path), v.Type())
	}
}

// enter counts one level of nesting and reports whether to go on.
func (d *decoder) enter(n *node, path string) bool {
	// the monitor's own structure takes a few levels above maxDepth
	if d.depth >= 2*maxDepth {
		d.problems.add(path, n.pos, "%s: nested deeper than %d levels", displayPath(path), 2*maxDepth)
		return false
	}
	d.depth++
	return true
}

func (d *decoder) leave() { d.depth-- }

func (d *decoder) structure(n *node, v reflect.Value, path string) {
	if n.kind != mappingNode {
		d.wrongType(n, path, "a mapping")
		return
	}
	fields := yamlFields(v.Type())
	for _, p := range n.pairs {
		name, ok := d.key(p.key, path)
		if !ok {
			continue
		}
		idx, found := fields.index(name)
		if !found {
			d.unknownField(p.key, name, path, fields.names)
			continue
		}
		d.keys[joinPath(path, name)] = p.key.pos
		d.decode(p.value, v.Field(idx), joinPath(path, name))
	}
}

func (d *decoder) unknownField(key *node, name, path string, expected []string) {
	msg := fmt.Sprintf("unknown field %q in %s", name, displayPath(path))
	if s := Suggest(name, expected); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
		d.misspelled[joinPath(path, s)] = true
	}
	d.problems.add(joinPath(path, name), key.pos, "%s; expected one of: %s", msg, strings.Join(expected, ", "))
}

func (d *decoder) stringMap(n *node, v reflect.Value, path string) {
	if n.kind != mappingNode {
		d.wrongType(n, path, "a mapping")
		return
	}
	if v.Type().Key().Kind() != reflect.String {
		d.problems.add(path, n.pos, "%s: cannot decode into %s", displayPath(path), v.Type())
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.pairs))
	for _, p := range n.pairs {
		name, ok := d.key(p.key, path)
		if !ok {
			continue
		}
		elem := reflect.New(v.Type().Elem()).Elem()
		d.keys[joinPath(path, name)] = p.key.pos
		d.decode(p.value, elem, joinPath(path, name))
		m.SetMapIndex(reflect.ValueOf(name).Convert(v.Type().Key()), elem)
	}
	v.Set(m)
}

func (d *decoder) list(n *node, v reflect.Value, path string) {
	if n.kind != sequenceNode {
		d.wrongType(n, path, "a list")
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.items), len(n.items))
	for i, item := range n.items {
		d.decode(item, s.Index(i), indexPath(path, i))
	}
	v.Set(s)
}

// key reads a mapping key, which must be a scalar.
func (d *decoder) key(k *node, path string) (string, bool) {
	if k.kind != scalarNode || k.isNull() {
		d.problems.add(joinPath(path, "<key>"), k.pos, "%s: keys must be strings, got %s", displayPath(path), describe(k))
		return "", false
	}
	return k.text, true
}

// str accepts any scalar: `name: 404` means the text "404".
func (d *decoder) str(n *node, v reflect.Value, path string) {
	if n.kind != scalarNode {
		d.wrongType(n, path, "a string")
		return
	}
	v.SetString(n.text)
}

func (d *decoder) integer(n *node, v reflect.Value, path string) {
	var i int64
	switch x := n.value.(type) {
	case int64:
		i = x
	case uint64:
		if x > math.MaxInt64 {
			d.problems.add(path, n.pos, "%s: %s is too large", displayPath(path), n.text)
			return
		}
		i = int64(x)
	default:
		d.wrongType(n, path, "an integer")
		return
	}
	if v.OverflowInt(i) {
		d.problems.add(path, n.pos, "%s: %s is out of range", displayPath(path), n.text)
		return
	}
	v.SetInt(i)
}

// float takes an integer or a decimal number.
func (d *decoder) float(n *node, v reflect.Value, path string) {
	switch x := n.value.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			d.wrongType(n, path, "a number")
			return
		}
		v.SetFloat(x)
	case int64:
		v.SetFloat(float64(x))
	case uint64:
		v.SetFloat(float64(x))
	default:
		d.wrongType(n, path, "a number")
	}
}

func (d *decoder) boolean(n *node, v reflect.Value, path string) {
	b, ok := n.value.(bool)
	if !ok || n.tag != tagBool {
		d.wrongType(n, path, "true or false")
		return
	}
	v.SetBool(b)
}

func (d *decoder) duration(n *node, v reflect.Value, path string) {
	if n.kind != scalarNode {
		d.wrongType(n, path, "a duration such as 30s, 5m or 1h30m")
		return
	}
	dur, err := ParseDuration(n.text)
	if err != nil {
		d.problems.add(path, n.pos, "%s: %v", displayPath(path), err)
		return
	}
	v.SetInt(int64(dur))
}

func (d *decoder) wrongType(n *node, path, expected string) {
	d.problems.add(path, n.pos, "%s: expected %s, got %s", displayPath(path), expected, describe(n))
}

// describe names what a node is, for "expected X, got Y" messages.
func describe(n *node) string {
	switch {
	case n.kind == mappingNode:
		return "a mapping"
	case n.kind == sequenceNode:
		return "a list"
	case n.tag == tagInt:
		return "the integer " + n.text
	case n.tag == tagFloat:
		return "the number " + n.text
	case n.tag == tagBool:
		return "the boolean " + n.text
	case n.tag == tagNull:
		return "null"
	default:
		return "the string " + strconv.Quote(n.text)
	}
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func indexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// displayPath names a path in messages; the root is the monitor itself.
func displayPath(path string) string {
	if path == "" {
		return "monitor"
	}
	return path
}

// parentPath drops the last element of a path: "a.b[2]" -> "a.b" -> "a" -> "".
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}
