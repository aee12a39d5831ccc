package redact

import (
	"strings"
	"sync/atomic"
)

// Exporters repeat most strings span after span: the same attribute
// values, the same span names. A string that a redaction left unchanged
// without counting anything would be left so again, so it is remembered
// and not redacted again. A remembered string is a copy: the original is
// often part of a request body, which it must not keep alive.

// cleanValue is the last such string value of one attribute key. The nil
// *cleanValue remembers nothing.
type cleanValue struct {
	v    atomic.Value  // a string
	seen atomic.Uint64 // quickHash of the last clean string not remembered
}

// has reports whether v is the remembered string (never panics: only
// strings are stored, and a string is comparable).
func (c *cleanValue) has(v any) bool { return c != nil && c.v.Load() == v }

// set remembers the clean string s once it comes twice in a row (as far
// as a cheap hash tells): a value that changes on every span (a path)
// would cost a copy each time for nothing.
func (c *cleanValue) set(s string) {
	if c == nil || len(s) > maxRemembered {
		return
	}
	if h := quickHash(s); c.seen.Load() != h {
		c.seen.Store(h)
		return
	}
	c.v.Store(strings.Clone(s))
}

// maxRemembered bounds a remembered string, so that all of them (one per
// cached attribute key and per span name slot) stay within a megabyte or
// two.
const maxRemembered = 1024

// quickHash reads the length and three bytes of s: enough to tell most
// successive values apart; a collision only costs a copy.
func quickHash(s string) uint64 {
	h := uint64(len(s))
	if s != "" {
		h |= uint64(s[0])<<32 | uint64(s[len(s)/2])<<40 | uint64(s[len(s)-1])<<48
	}
	return h
}

// cleanTexts remembers a few such texts of one kind (span names), one
// per slot of a cheap hash: a collision only costs a redaction.
type cleanTexts [cleanTextSlots]cleanValue

const cleanTextBits = 6

const cleanTextSlots = 1 << cleanTextBits

func (m *cleanTexts) slot(s string) *cleanValue {
	return &m[hashSlot(s, cleanTextBits)]
}

// hashSlot is one of 1<<bits slots for s.
func hashSlot(s string, bits uint) uint64 {
	return (quickHash(s) * 0x9E3779B97F4A7C15) >> (64 - bits)
}

// redactOnce is f(s), or s when s is remembered as left clean by f.
func (r *Redactor) redactOnce(m *cleanTexts, s string, f func(string) string) string {
	c := m.slot(s)
	if x, ok := c.v.Load().(string); ok && x == s {
		return s
	}
	before := r.redactions.Load()
	out := f(s)
	// unchanged and nothing counted (by anyone, meanwhile)
	if out == s && r.redactions.Load() == before {
		c.set(s)
	}
	return out
}
