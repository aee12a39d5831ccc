package sqlite

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestHashSet(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	random := func(n int) []uint64 {
		hs := make([]uint64, n)
		for i := range hs {
			hs[i] = rng.Uint64()
		}
		slices.Sort(hs)
		return hs
	}
	mine := random(1000)
	for _, tc := range []struct {
		name   string
		stored []uint64
		want   bool
	}{
		{"none stored", nil, false},
		{"disjoint", random(4000), false},
		{"one shared", append(random(4000), mine[500]), true},
		{"first shared", append(random(10), mine[0]), true},
		{"last shared", append(random(10), mine[999]), true},
		{"same top bits only", []uint64{mine[7] ^ 1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stored := slices.Sorted(slices.Values(tc.stored))
			if got := newHashSet(mine).anyIn(encodeHashes(stored)); got != tc.want {
				t.Fatalf("anyIn = %v, want %v", got, tc.want)
			}
		})
	}
}
