package reassembly

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

func collect(r *Reassembler, segs []Segment) []Piece {
	var out []Piece
	emit := func(p Piece) {
		p.Data = append([]byte(nil), p.Data...)
		out = append(out, p)
	}
	for _, s := range segs {
		r.Push(s, emit)
	}
	r.Flush(emit)
	return out
}

func seg(off uint64, data string, n int) Segment {
	return Segment{Off: off, Data: []byte(data), Len: n}
}

func TestReassembler(t *testing.T) {
	cases := []struct {
		name string
		segs []Segment
		want string // pieces as lost/data/skipped
	}{
		{"in order", []Segment{seg(0, "ab", 2), seg(2, "cd", 2)}, "0/ab/0 0/cd/0"},
		{"uncaptured tail", []Segment{seg(0, "ab", 10), seg(10, "cd", 2)}, "0/ab/8 0/cd/0"},
		{"reordered", []Segment{seg(2, "cd", 2), seg(0, "ab", 2)}, "0/ab/0 0/cd/0"},
		{"duplicate", []Segment{seg(0, "ab", 2), seg(0, "ab", 2), seg(2, "cd", 2)}, "0/ab/0 0/cd/0"},
		{"overlap trimmed", []Segment{seg(0, "abc", 3), seg(1, "bcde", 4)}, "0/abc/0 0/de/0"},
		{"lost record", []Segment{seg(0, "ab", 2), seg(5, "fg", 2)}, "0/ab/0 3/fg/0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, p := range collect(New(Options{}), tc.segs) {
				got = append(got, strconv.FormatUint(p.Lost, 10)+"/"+string(p.Data)+"/"+strconv.Itoa(p.Skipped))
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("got %q, want %q", g, tc.want)
			}
		})
	}
}

func TestPendingIsBounded(t *testing.T) {
	r := New(Options{MaxPending: 4})
	var n int
	for i := 1; i <= 10; i++ {
		r.Push(seg(uint64(i*2), "xx", 2), func(Piece) { n++ })
	}
	if len(r.pending) > 4 || n < 6 {
		t.Errorf("held %d records and emitted %d: the bound was not applied", len(r.pending), n)
	}
}

// FuzzReassembler: whatever records arrive, pieces come out contiguous,
// never beyond the highest byte pushed, and never panic.
func FuzzReassembler(f *testing.F) {
	f.Add([]byte{0, 4, 2, 4, 4, 4, 1, 3})
	f.Add([]byte{8, 2, 0, 2, 4, 2, 2, 8, 0, 16})
	f.Add([]byte{255, 255, 0, 0, 3, 200})
	f.Fuzz(func(t *testing.T, script []byte) {
		r := New(Options{MaxPending: 8})
		var pos, maxEnd uint64
		check := func(p Piece) {
			pos += p.Lost + uint64(len(p.Data)) + uint64(p.Skipped)
			if pos > maxEnd {
				t.Fatalf("emitted up to %d, beyond the highest byte pushed %d", pos, maxEnd)
			}
			if !bytes.Equal(p.Data, bytes.Repeat([]byte{'z'}, len(p.Data))) {
				t.Fatalf("data corrupted: %q", p.Data)
			}
		}
		for i := 0; i+1 < len(script); i += 2 {
			off, n := uint64(script[i])*3, int(script[i+1])
			c := min(n, 7)
			maxEnd = max(maxEnd, off+uint64(n))
			r.Push(Segment{Off: off, Data: bytes.Repeat([]byte{'z'}, c), Len: n}, check)
		}
		r.Flush(check)
	})
}
