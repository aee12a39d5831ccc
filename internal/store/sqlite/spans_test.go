package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/store/storetest"
)

// TestWriteSpansBlocks spreads batches over several minutes, so that they
// are cut into blocks, with ids repeated in the same block, in the same
// batch's next block and in earlier batches.
func TestWriteSpansBlocks(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "vigil.db"), Options{})
	want := map[string]string{} // id to span name
	for size := 1; size <= 8; size++ {
		batch := make([]span.Span, size)
		for i := range batch {
			batch[i] = storetest.NewSpan(fmt.Sprintf("b%d-%d", size, i), "shop", storetest.Base.Add(time.Duration(i)*40*time.Second))
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
		{Since: storetest.Base}, {Service: "shop", Since: storetest.Base, Until: storetest.Base.Add(time.Hour)},
	} {
		where, args := spanBlockFilter(q)
		query := `SELECT id FROM span_blocks WHERE ` + strings.Join(where, " AND ") + ` ORDER BY max_ts DESC, id DESC`
		plan := explain(t, s.reader, query, args...)
		require.Contains(t, plan, "INDEX span_blocks_max_ts", "%+v", q)
		require.NotContains(t, plan, "TEMP B-TREE", "%+v", q)
	}
	require.Contains(t, explain(t, s.reader, `SELECT id FROM span_blocks WHERE max_ts >= ? AND min_ts <= ?`, 1, 2),
		"INDEX span_blocks_max_ts", "the duplicate check of a write")
}

// TestMigratesFromVersion1 opens a file written before spans existed.
func TestMigratesFromVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigil.db")
	s := openAt(t, path, Options{})
	_, err := s.writer.ExecContext(ctx, `DROP TABLE span_block_data; DROP TABLE span_blocks; DELETE FROM schema_version WHERE version > 1`)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s = openAt(t, path, Options{})
	require.NoError(t, s.WriteSpans(ctx, []span.Span{storetest.NewSpan("s1", "shop", storetest.Base)}))
	_, err = s.GetSpan(ctx, "s1")
	require.NoError(t, err)
}

// TestMigratesSpanRowsIntoBlocks opens a file of schema 2, a row per span,
// with more spans than a block holds: every span moves, none is lost.
func TestMigratesSpanRowsIntoBlocks(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigil.db")
	s := openAt(t, path, Options{})
	_, err := s.writer.ExecContext(ctx, `DROP TABLE span_block_data; DROP TABLE span_blocks; DELETE FROM schema_version WHERE version > 1`)
	require.NoError(t, err)
	_, err = s.writer.ExecContext(ctx, migrations[1])
	require.NoError(t, err)
	_, err = s.writer.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (2, 0)`)
	require.NoError(t, err)
	const n = maxBlockSpans + 10
	for i := range n {
		sp := storetest.NewSpan(fmt.Sprintf("old-%05d", i), []string{"shop", "cart"}[i%2], storetest.Base.Add(time.Duration(i)*10*time.Millisecond))
		doc, err := json.Marshal(&sp)
		require.NoError(t, err)
		_, err = s.writer.ExecContext(ctx, `INSERT INTO spans (id, ts, service, kind, trace_id, doc, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			sp.ID, sp.Timestamp.UnixMicro(), sp.Service.Name, sp.Span.Kind, sp.Trace.ID, string(doc), 0)
		require.NoError(t, err)
	}
	require.NoError(t, s.Close())

	s = openAt(t, path, Options{})
	got, err := s.ListSpans(ctx, store.SpanQuery{Service: "cart", Limit: n})
	require.NoError(t, err)
	require.Len(t, got, n/2)
	require.Equal(t, "old-04105", got[0].ID)
	sp, err := s.GetSpan(ctx, "old-00000")
	require.NoError(t, err)
	require.Equal(t, storetest.NewSpan("old-00000", "shop", storetest.Base), sp)
	var tables int
	require.NoError(t, s.reader.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name = 'spans'`).Scan(&tables))
	require.Zero(t, tables, "the table of schema 2 is dropped")
}

func spanIDs(spans []span.Span) []string {
	ids := make([]string, len(spans))
	for i, sp := range spans {
		ids[i] = sp.ID
	}
	return ids
}
