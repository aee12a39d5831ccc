package redact

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNameCacheSlotCollision checks that names sharing a first-level
// slot each resolve to their own value.
func TestNameCacheSlotCollision(t *testing.T) {
	var c nameCache[int]
	a, b := "a1c2b", "a3c4b" // same length, first, middle and last byte
	require.Equal(t, hashSlot(a, nameSlotBits), hashSlot(b, nameSlotBits))
	require.Equal(t, 1, c.put(a, 1))
	require.Equal(t, 2, c.put(b, 2))
	require.Equal(t, 1, c.put(a, 3), "the first value stays")
	for name, want := range map[string]int{a: 1, b: 2} {
		got, ok := c.get(name)
		require.True(t, ok)
		require.Equal(t, want, got, name)
	}
	_, ok := c.get("a5c6b")
	require.False(t, ok)
}
