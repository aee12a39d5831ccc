package otlp

import "maps"

// maxListed bounds the span attributes taken through spanAttrs; spans
// with more go through an attrBuilder.
const maxListed = 32

// spanAttrs takes a span's attributes as a list first, then into a map.
// Spans of a batch mostly carry the same keys in the same order, with
// few values changed: then the previous span's map is cloned and only
// the changed values are set, which is cheaper than building a map, and
// the semantic slots of the previous span are kept but for those values.
type spanAttrs struct {
	n     int
	keys  [maxListed]string
	vals  [maxListed]any
	ok    [maxListed]bool // false: dropped (no key, or too deep)
	fresh [maxListed]bool // not the boxed value the previous span had
	// the boxed scalar values of the last span's attributes, by position:
	// a boxed scalar is shared as nothing changes it (Filter replaces map
	// entries), and a value seen again means an entry the clone has
	prev [maxListed]any
	// the bytes of the KeyValue that last gave keys[i] and prev[i] with
	// nothing cut or counted, "" when none did: the same bytes again
	// convert to the same, so they are not converted again
	raw [maxListed]string
	// the previous span's map, while it is one to clone: distinct keys
	// tmplKeys, nothing dropped, nothing added since (see attrConv.mark)
	tmpl     map[string]any
	tmplKeys [maxListed]string
	tmplN    int
}

// add converts the KeyValue at body[lo:hi] (a span attribute, at wire
// depth 4) onto the list, as attrConv.attributes does when no key is
// over MaxAttributes.
func (l *spanAttrs) add(d *decoder, a *attrConv, lo, hi int) error {
	i := l.n
	l.n++
	// Most attributes are byte for byte the previous span's.
	if r := l.raw[i]; r != "" && r == d.s[lo:hi] {
		l.vals[i], l.ok[i], l.fresh[i] = l.prev[i], true, false
		return nil
	}
	l.raw[i] = ""
	l.ok[i], l.fresh[i] = false, true
	key, val, values, err := d.scanKeyValue(lo, hi)
	if err != nil {
		return err
	}
	k := d.str(key)
	if k == "" { // key_strindex is for profiles only
		a.dropped++
		return d.skipValue(val, values, 5)
	}
	before, truncated := l.prev[i], a.truncated
	v, ok, err := d.value(a, val.lo, val.hi, 0, 5, &l.prev[i])
	if err != nil || !ok {
		a.dropped += btoi(err == nil)
		return err
	}
	l.keys[i], l.vals[i], l.ok[i], l.fresh[i] = l.key(a, i, k), v, true, !sameScalar(v, before)
	if a.truncated == truncated && sameScalar(v, l.prev[i]) {
		l.raw[i] = d.s[lo:hi]
	}
	return nil
}

// key is a.str(k), or the key listed at i before when k is that one:
// str returned it, so it is valid and short enough, and sharing it makes
// sameKeys compare pointers.
func (l *spanAttrs) key(a *attrConv, i int, k string) string {
	if k == l.keys[i] {
		return l.keys[i]
	}
	return a.str(k)
}

// sameScalar reports whether v is a string or integer equal to before
// (then box returned before itself).
func sameScalar(v, before any) bool {
	switch v.(type) {
	case string, int64:
		return v == before // never panics: v's type is comparable
	}
	return false
}

// build makes the map of the listed attributes, picking the semantic
// keys into sem, and empties the list.
func (l *spanAttrs) build(sem *semAttrs) map[string]any {
	n := l.n
	l.n = 0
	if n == 0 {
		sem.reset()
		l.tmpl = nil
		return nil
	}
	if l.tmpl != nil && l.sameKeys(n) {
		m := maps.Clone(l.tmpl)
		for i := range n {
			if l.fresh[i] {
				m[l.keys[i]] = l.vals[i]
				sem.put(l.keys[i], l.vals[i])
			}
		}
		l.tmpl = m
		return m
	}
	sem.reset()
	m := make(map[string]any, n)
	clean := true
	for i := range n {
		if !l.ok[i] {
			clean = false
			continue
		}
		m[l.keys[i]] = l.vals[i]
		sem.put(l.keys[i], l.vals[i])
	}
	l.tmpl = nil
	if clean && len(m) == n {
		l.tmpl, l.tmplN = m, n
		copy(l.tmplKeys[:n], l.keys[:n])
	}
	return m
}

// sameKeys reports whether the n listed attributes are all kept and have
// the template's keys.
func (l *spanAttrs) sameKeys(n int) bool {
	if n != l.tmplN {
		return false
	}
	for i := range n {
		if !l.ok[i] || l.keys[i] != l.tmplKeys[i] {
			return false
		}
	}
	return true
}
