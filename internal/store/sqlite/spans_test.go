package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/store/storetest"
)

// TestWriteSpansChunks crosses the boundaries of the multi-row INSERTs, with
// repeated ids in the next chunk and in the same one.
func TestWriteSpansChunks(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "vigil.db"), Options{})
	s.spanChunk = 3
	want := map[string]string{} // id to span name
	for size := 1; size <= 8; size++ {
		batch := make([]span.Span, size)
		for i := range batch {
			batch[i] = storetest.NewSpan(fmt.Sprintf("b%d-%d", size, i), "shop", storetest.Base.Add(time.Duration(i)*time.Second))
		}
		if size >= 5 {
			batch[3], batch[4] = batch[0], batch[0]
			batch[3].Span.Name, batch[4].Span.Name = "repeat", "repeat"
		}
		for _, sp := range slices.Backward(batch) {
			want[sp.ID] = sp.Span.Name // the first write wins
		}
		require.NoError(t, s.WriteSpans(ctx, batch), "batch of %d", size)
	}
	got, err := s.ListSpans(ctx, store.SpanQuery{Limit: 1000})
	require.NoError(t, err)
	names := map[string]string{}
	for _, sp := range got {
		names[sp.ID] = sp.Span.Name
	}
	require.Equal(t, want, names)
}

func TestWriteSpansInvalidNamesSpan(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "vigil.db"), Options{})
	noService := storetest.NewSpan("s2", "", storetest.Base)
	err := s.WriteSpans(context.Background(), []span.Span{storetest.NewSpan("s1", "shop", storetest.Base), noService})
	require.EqualError(t, err, "store "+s.Path()+`: writing 2 spans ("s1" to "s2"): span 1 of the batch is invalid: span s2 has no service.name`)
}

func TestWriteSpansWhileLockedFails(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigil.db")
	s := openAt(t, path, Options{BusyTimeout: 50 * time.Millisecond})
	release := lockFile(t, path, "BEGIN IMMEDIATE")
	batch := []span.Span{storetest.NewSpan("s1", "shop", storetest.Base)}
	err := s.WriteSpans(ctx, batch)
	require.ErrorContains(t, err, "store "+path+`: writing span "s1": `)
	requireBusy(t, err)

	release()
	require.NoError(t, s.WriteSpans(ctx, batch), "the same batch succeeds once the lock is gone")
	_, err = s.GetSpan(ctx, "s1")
	require.NoError(t, err)
}

func TestWriteSpansCanceled(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "vigil.db"), Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.WriteSpans(ctx, []span.Span{storetest.NewSpan("s1", "shop", storetest.Base)})
	require.ErrorIs(t, err, context.Canceled)
	_, err = s.GetSpan(context.Background(), "s1")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func TestSpanStoredAtUsesClock(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 1, 2, 3, 4, 5, 6000, time.FixedZone("X", 3600))
	s := openAt(t, filepath.Join(t.TempDir(), "vigil.db"), Options{Now: func() time.Time { return now }})
	require.NoError(t, s.WriteSpans(ctx, []span.Span{storetest.NewSpan("s1", "shop", storetest.Base)}))

	got, err := s.GetSpan(ctx, "s1")
	require.NoError(t, err)
	require.Equal(t, now.UTC(), *got.Vigil.StoredAt)
}

func TestSpanQueriesUseIndexes(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "vigil.db"), Options{})
	for _, q := range []store.SpanQuery{
		{}, {Service: "shop"}, {TraceID: "4bf92f3577b34da6a3ce929d0e0e4736"}, {Kind: span.KindClient},
		{Since: storetest.Base}, {Service: "shop", Until: storetest.Base},
	} {
		query, args := spanListQuery(q)
		require.NotContains(t, explain(t, s.reader, query, args...), "SCAN spans\n", "%+v", q)
	}
	require.NotContains(t, explain(t, s.reader, `SELECT doc FROM spans WHERE id = ?`, "x"), "SCAN spans\n")
}

// TestMigratesFromVersion1 opens a file written before spans existed.
func TestMigratesFromVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigil.db")
	s := openAt(t, path, Options{})
	_, err := s.writer.ExecContext(ctx, `DROP TABLE spans; DELETE FROM schema_version WHERE version > 1`)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s = openAt(t, path, Options{})
	require.NoError(t, s.WriteSpans(ctx, []span.Span{storetest.NewSpan("s1", "shop", storetest.Base)}))
	_, err = s.GetSpan(ctx, "s1")
	require.NoError(t, err)
}

func spanIDs(spans []span.Span) []string {
	ids := make([]string, len(spans))
	for i, sp := range spans {
		ids[i] = sp.ID
	}
	return ids
}
