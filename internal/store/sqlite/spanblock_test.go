package sqlite

import (
	"fmt"
	"testing"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/store/storetest"
)

func testEntries(n int) []entry {
	entries := make([]entry, n)
	for i := range entries {
		sp := storetest.NewSpan(fmt.Sprintf("span-%04d", i), []string{"api", "cart"}[i%2], time.UnixMicro(1_700_000_000_000_000+int64(i*7)))
		entries[i] = entry{
			ts: sp.Timestamp.UnixMicro(), id: sp.ID, traceID: sp.Trace.ID,
			service: sp.Service.Name, kind: sp.Span.Kind, doc: string(sp.AppendBinary(nil)),
		}
	}
	return entries
}

func TestBlockRoundTrip(t *testing.T) {
	entries := testEntries(1000)
	data, meta, err := encodeBlock(entries, nil, nil)
	require.NoError(t, err)
	require.Equal(t, 1000, meta.n)
	require.Equal(t, "\napi\ncart\n", meta.services)
	require.Equal(t, "\nserver\n", meta.kinds)
	require.Equal(t, entries[0].ts, meta.minTS)
	require.Equal(t, entries[999].ts, meta.maxTS)
	got, err := decodeBlock(data, meta.minTS)
	require.NoError(t, err)
	require.Equal(t, entries, got)

	f := bloom{bits: meta.filter}
	falsePositives := 0
	for i, e := range entries {
		require.True(t, f.mayContain(e.id), "no false negatives")
		require.True(t, f.mayContain(e.traceID), "no false negatives")
		if f.mayContain(fmt.Sprintf("absent-%d", i)) {
			falsePositives++
		}
	}
	require.Less(t, falsePositives, 30, "about 1%% of absent keys may pass")
}

func TestDecodeBlockRejectsDamage(t *testing.T) {
	data, meta, err := encodeBlock(testEntries(10), nil, nil)
	require.NoError(t, err)
	raw, err := s2.Decode(nil, data)
	require.NoError(t, err)
	for _, tc := range []struct {
		name, want string
		data       []byte
	}{
		{"not s2", "decompressing span block", []byte("garbage")},
		{"empty", "unknown format", s2.Encode(nil, nil)},
		{"future format", "unknown format", s2.Encode(nil, append([]byte{9}, raw[1:]...))},
		{"header cut", "span block header: truncated", s2.Encode(nil, raw[:20])},
		{"docs cut", "truncated at span", s2.Encode(nil, raw[:len(raw)-5])},
		{"absurd count", "claims", s2.Encode(nil, []byte{blockFormat, 0xff, 0xff, 0x7f})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeBlock(tc.data, meta.minTS)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func FuzzDecodeBlock(f *testing.F) {
	data, _, _ := encodeBlock(testEntries(3), nil, nil)
	raw, _ := s2.Decode(nil, data)
	f.Add(raw)
	f.Fuzz(func(t *testing.T, raw []byte) {
		_, _ = decodeBlock(s2.Encode(nil, raw), 0) // never panics
	})
}
