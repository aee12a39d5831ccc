package span

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"testing"
)

// TestIDOfIsFNV1a holds IDOf, IDSeed and IDMix to the standard library's
// FNV-1a over the string and the numbers' little-endian bytes: stored ids
// must not change with the code.
func TestIDOfIsFNV1a(t *testing.T) {
	for _, tc := range []struct {
		s    string
		nums []uint64
	}{
		{"", nil},
		{"conn-1", []uint64{7}},
		{"node/10.0.0.1", []uint64{1732300000000000000, 42}},
	} {
		h := fnv.New64a()
		h.Write([]byte(tc.s))
		mixed := IDSeed(tc.s)
		for _, n := range tc.nums {
			h.Write(binary.LittleEndian.AppendUint64(nil, n))
			mixed = IDMix(mixed, n)
		}
		want := fmt.Sprintf("%016x", h.Sum64())
		if got := IDOf(tc.s, tc.nums...); got != want {
			t.Errorf("IDOf(%q, %v) = %s, want %s", tc.s, tc.nums, got, want)
		}
		if got := fmt.Sprintf("%016x", mixed); got != want {
			t.Errorf("IDMix over IDSeed(%q) = %s, want %s", tc.s, got, want)
		}
	}
}
