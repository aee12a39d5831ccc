package redact

import (
	"maps"
	"strings"
	"sync"
	"sync/atomic"
)

// maxCachedKeys bounds the names a nameCache remembers; each new one
// copies the map, so the bound also bounds that work.
const maxCachedKeys = 1024

// nameCache remembers what a name (an attribute key, a query parameter
// name) resolves to: senders use the same few dozen names on every span,
// and matching one against every rule costs more than a map lookup.
// Reads are a plain map lookup; a new name copies the map (names are few,
// and bounded). The zero value is ready.
type nameCache[V any] struct {
	m  atomic.Pointer[map[string]V] // never changed once stored
	mu sync.Mutex                   // serialises additions
	// the first name of each slot of a cheap hash: most lookups compare
	// one string instead of hashing it and probing a map
	first [nameSlots]atomic.Pointer[nameEntry[V]]
}

type nameEntry[V any] struct {
	name string
	v    V
}

const nameSlotBits = 8

const nameSlots = 1 << nameSlotBits

func (c *nameCache[V]) get(k string) (V, bool) {
	if e := c.first[hashSlot(k, nameSlotBits)].Load(); e != nil && e.name == k {
		return e.v, true
	}
	if m := c.m.Load(); m != nil {
		v, ok := (*m)[k]
		return v, ok
	}
	var zero V
	return zero, false
}

// put remembers v for k unless the cache is full, and returns what k
// resolves to: v, or what a concurrent put stored first.
func (c *nameCache[V]) put(k string, v V) V {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	n := 0
	if old != nil {
		if w, ok := (*old)[k]; ok {
			return w
		}
		n = len(*old)
	}
	if n >= maxCachedKeys { // never grow without bound
		return v
	}
	m := make(map[string]V, n+1)
	if old != nil {
		maps.Copy(m, *old)
	}
	k = strings.Clone(k)
	m[k] = v
	c.m.Store(&m)
	if slot := &c.first[hashSlot(k, nameSlotBits)]; slot.Load() == nil {
		slot.Store(&nameEntry[V]{k, v})
	}
	return v
}

// full reports whether put would not remember a new name.
func (c *nameCache[V]) full() bool { return c.len() >= maxCachedKeys }

func (c *nameCache[V]) len() int {
	if m := c.m.Load(); m != nil {
		return len(*m)
	}
	return 0
}
