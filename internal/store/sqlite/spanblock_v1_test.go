package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/store/storetest"
)

// v1Spans are the spans of testdata/span_block_v1.s2, a block of format 1
// (JSON documents) written by the encoder of that format.
func v1Spans() []span.Span {
	var out []span.Span
	for i, name := range []string{"a", "b", "c"} {
		sp := storetest.NewSpan("v1-"+name, "shop", storetest.Base.Add(time.Duration(i)*time.Second))
		at := storetest.Base.Add(time.Hour)
		sp.Vigil.StoredAt = &at
		if i == 1 {
			sp.OTel = &span.OTel{Attributes: map[string]any{"k": "v", "n": 3.5}, Status: &span.Status{Code: "ok"}}
		}
		out = append(out, sp)
	}
	return out
}

func TestDecodeBlockFormat1(t *testing.T) {
	data, err := os.ReadFile("testdata/span_block_v1.s2")
	require.NoError(t, err)
	entries, err := decodeBlock(data, storetest.Base.UnixMicro())
	require.NoError(t, err)
	want := v1Spans()
	require.Len(t, entries, len(want))
	for i := range entries {
		require.True(t, entries[i].json)
		require.Equal(t, want[i].ID, entries[i].id)
		require.Equal(t, want[i].Timestamp.UnixMicro(), entries[i].ts)
		var got span.Span
		require.NoError(t, entries[i].decode(&got))
		require.Equal(t, want[i], got)
	}

	// Rewritten, the block takes format 2 and keeps every span.
	again, meta, err := encodeBlock(entries, nil, nil)
	require.NoError(t, err)
	raw, err := s2.Decode(nil, again)
	require.NoError(t, err)
	require.Equal(t, byte(blockFormat), raw[0])
	entries, err = decodeBlock(again, meta.minTS)
	require.NoError(t, err)
	for i := range entries {
		var got span.Span
		require.NoError(t, entries[i].decode(&got))
		require.Equal(t, want[i], got)
	}
}

// TestStoreReadsFormat1 puts the format-1 block in a store, as a store
// written before format 2 holds it, and reads and links it through the API.
func TestStoreReadsFormat1(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "vigil.db"), Options{})
	data, err := os.ReadFile("testdata/span_block_v1.s2")
	require.NoError(t, err)
	entries, err := decodeBlock(data, storetest.Base.UnixMicro())
	require.NoError(t, err)
	_, meta, err := encodeBlock(append([]entry(nil), entries...), nil, nil) // the row: ids, filter
	require.NoError(t, err)
	tx, err := s.writer.BeginTx(ctx, nil)
	require.NoError(t, err)
	_, err = insertBlock(ctx, tx, meta, data, storetest.Base.UnixMicro())
	require.NoError(t, err)
	require.NoError(t, tx.Commit())
	want := v1Spans()

	got, err := s.GetSpan(ctx, "v1-b")
	require.NoError(t, err)
	require.Equal(t, want[1], got)
	list, err := s.ListSpans(ctx, store.SpanQuery{Service: "shop"})
	require.NoError(t, err)
	require.Equal(t, []span.Span{want[2], want[1], want[0]}, list)
	stored, err := s.SpansStoredAfter(ctx, store.StoredQuery{})
	require.NoError(t, err)
	require.Equal(t, want, stored.Spans)

	// A span of an old block is skipped when written again.
	require.NoError(t, s.WriteSpans(ctx, []span.Span{want[0]}))
	list, err = s.ListSpans(ctx, store.SpanQuery{})
	require.NoError(t, err)
	require.Len(t, list, 3)

	link := store.SpanLink{SpanID: "v1-c", Timestamp: want[2].Timestamp, TraceID: "trace-x", ParentID: "p", How: "4-tuple", Confidence: 0.5}
	require.NoError(t, s.LinkSpans(ctx, []store.SpanLink{link}))
	got, err = s.GetSpan(ctx, "v1-c")
	require.NoError(t, err)
	require.Equal(t, "trace-x", got.Trace.ID)
	got, err = s.GetSpan(ctx, "v1-a")
	require.NoError(t, err)
	require.Equal(t, want[0], got, "the other spans of the rewritten block are unchanged")
}
