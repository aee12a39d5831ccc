package sqlite

import (
	"encoding/binary"
	"slices"
)

// hashSet answers whether a block's stored id hashes meet a write's. A
// merge of the two sorted lists mispredicted a branch at nearly every step
// and was an eighth of a write; a bitmap of the write's hashes' top bits
// (8 KiB, about 1.5% set for 1000 spans) rejects almost every stored hash
// with one predictable test, and a binary search confirms the rest.
type hashSet struct {
	bits   [1 << hashSetBits / 64]uint64
	sorted []uint64
}

const hashSetBits = 16

func newHashSet(sorted []uint64) *hashSet {
	s := &hashSet{sorted: sorted}
	for _, h := range sorted {
		b := h >> (64 - hashSetBits)
		s.bits[b/64] |= 1 << (b % 64)
	}
	return s
}

// anyIn reports whether stored, encoded as encodeHashes encodes it, holds
// one of the set's hashes.
func (s *hashSet) anyIn(stored []byte) bool {
	for j := 0; j+8 <= len(stored); j += 8 {
		h := binary.LittleEndian.Uint64(stored[j:])
		b := h >> (64 - hashSetBits)
		if s.bits[b/64]&(1<<(b%64)) == 0 {
			continue
		}
		if _, found := slices.BinarySearch(s.sorted, h); found {
			return true
		}
	}
	return false
}
