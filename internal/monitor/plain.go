package monitor

import (
	"math"
	"sort"
)

// plain turns a free-form node (a request's json body) into the values
// encoding/json writes: map[string]any, []any, string, int64, uint64,
// float64, bool and nil. It records the path of every node, so that
// placeholders in the body can be located.
func (d *decoder) plain(n *node, path string) any {
	if !d.enter(n, path) {
		return nil
	}
	defer d.leave()
	switch n.kind {
	case mappingNode:
		m := make(map[string]any, len(n.pairs))
		for _, p := range n.pairs {
			name, ok := d.key(p.key, path)
			if !ok || !d.spend(p.value) {
				continue
			}
			d.keys[joinPath(path, name)] = p.key.pos
			d.values[joinPath(path, name)] = located{pos: p.value.pos, null: p.value.isNull()}
			m[name] = d.plain(p.value, joinPath(path, name))
		}
		return m
	case sequenceNode:
		s := make([]any, 0, len(n.items))
		for i, item := range n.items {
			if !d.spend(item) {
				break
			}
			d.values[indexPath(path, i)] = located{pos: item.pos, null: item.isNull()}
			s = append(s, d.plain(item, indexPath(path, i)))
		}
		return s
	}
	if f, ok := n.value.(float64); ok && (math.IsInf(f, 0) || math.IsNaN(f)) {
		d.problems.add(path, n.pos, "%s: %s cannot be written as JSON", displayPath(path), n.text)
		return nil
	}
	return n.value
}

// walkStrings calls fn for every string in a plain value, with its path, in
// a stable order.
func walkStrings(v any, path string, fn func(path, s string)) {
	switch x := v.(type) {
	case string:
		fn(path, x)
	case []any:
		for i, item := range x {
			walkStrings(item, indexPath(path, i), fn)
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walkStrings(x[k], joinPath(path, k), fn)
		}
	}
}
