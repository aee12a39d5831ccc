package spool

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCorruptRecords(t *testing.T) {
	const n = 5
	rec := recordLen(t, n)
	hdr := int64(len(fileMagic))
	flip := func(t *testing.T, path string, at int64) {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		b[at] ^= 0xff
		require.NoError(t, os.WriteFile(path, b, 0o640))
	}
	appendBytes := func(t *testing.T, path string, p []byte) {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		require.NoError(t, err)
		_, err = f.Write(p)
		require.NoError(t, err)
		require.NoError(t, f.Close())
	}
	// Two segments of three records each: batches 0-2 and 3-5.
	tests := []struct {
		name        string
		mutate      func(t *testing.T, segs []string)
		wantCorrupt int64
		wantLost    []int // batches not delivered
	}{
		{
			name: "torn last record",
			mutate: func(t *testing.T, segs []string) {
				require.NoError(t, os.Truncate(segs[1], hdr+3*rec-7))
			},
			wantCorrupt: 1, wantLost: []int{5},
		},
		{
			name:        "bad checksum in last record",
			mutate:      func(t *testing.T, segs []string) { flip(t, segs[1], hdr+2*rec+recHeaderLen+20) },
			wantCorrupt: 1, wantLost: []int{5},
		},
		{
			name:        "half a header at the tail",
			mutate:      func(t *testing.T, segs []string) { appendBytes(t, segs[1], []byte{1, 2, 3}) },
			wantCorrupt: 1,
		},
		{
			name: "length running past the end",
			mutate: func(t *testing.T, segs []string) {
				h := make([]byte, recHeaderLen+10)
				binary.LittleEndian.PutUint32(h, 1000)
				appendBytes(t, segs[1], h)
			},
			wantCorrupt: 1,
		},
		{
			// Past a bad record, boundaries cannot be trusted: the rest of
			// its segment goes, the next segment is drained.
			name:        "bad checksum mid-segment",
			mutate:      func(t *testing.T, segs []string) { flip(t, segs[0], hdr+rec+recHeaderLen+20) },
			wantCorrupt: 1, wantLost: []int{1, 2},
		},
		{
			name:        "bad file header",
			mutate:      func(t *testing.T, segs []string) { flip(t, segs[0], 0) },
			wantCorrupt: 1, wantLost: []int{0, 1, 2},
		},
		{
			name: "empty segment file from a crash at creation",
			mutate: func(t *testing.T, segs []string) {
				require.NoError(t, os.WriteFile(filepath.Join(filepath.Dir(segs[0]), segName(99)), nil, 0o640))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s1 := newSpool(t, dir, &fakeStore{down: true}, Options{SegmentBytes: hdr + 3*rec}, nil)
			writeBatches(t, s1, "b", n, seq(0, 6)...)
			require.NoError(t, s1.Close())
			segs := segFiles(t, dir)
			require.Len(t, segs, 2)
			tt.mutate(t, segs)

			st := &fakeStore{}
			s2 := newSpool(t, dir, st, Options{}, nil)
			var want []int
			for i := range 6 {
				if !slices.Contains(tt.wantLost, i) {
					want = append(want, i)
				}
			}
			stats := s2.Stats()
			assert.Equal(t, tt.wantCorrupt, stats.CorruptRecords)
			assert.Equal(t, int64(len(want)*n), stats.SpooledSpans)

			startRun(t, s2)
			waitDrained(t, s2)
			assert.Equal(t, batchIDs("b", n, want...), st.ids())
			assert.Empty(t, segFiles(t, dir))
			assert.Equal(t, tt.wantCorrupt, s2.Stats().CorruptRecords, "counted once")
		})
	}
}

// A segment that changes after New is given up, not retried forever.
func TestSegmentVanishingWhileSpooled(t *testing.T) {
	dir := t.TempDir()
	st := &fakeStore{down: true}
	s := newSpool(t, dir, st, Options{SegmentBytes: 1}, nil)
	writeBatches(t, s, "b", 5, 0, 1)
	segs := segFiles(t, dir)
	require.Len(t, segs, 2)
	require.NoError(t, os.Remove(segs[0]))

	st.setDown(false)
	startRun(t, s)
	waitDrained(t, s)
	assert.Equal(t, batchIDs("b", 5, 1), st.ids())
	stats := s.Stats()
	assert.Equal(t, int64(5), stats.DroppedBy[ReasonUnreadable])
	assert.Equal(t, int64(1), stats.CorruptRecords)
}
