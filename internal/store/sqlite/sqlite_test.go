package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openTemp(t, Options{})
	})
}

// openTemp opens a store in a fresh directory; the caller closes it.
func openTemp(t testing.TB, opts Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "data", "vigil.db"), opts)
	require.NoError(t, err)
	return s
}

// openAt opens a store at path and closes it when the test ends.
func openAt(t *testing.T, path string, opts Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigil.db")
	s, err := Open(ctx, path, Options{})
	require.NoError(t, err)
	want := storetest.NewResult("r1", "shop", storetest.Base)
	require.NoError(t, s.WriteResults(ctx, []result.Result{want}))
	require.NoError(t, s.PutCatalog(ctx, store.Catalog{Commit: "abc", SyncedAt: storetest.Base}))
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close is idempotent")

	s = openAt(t, path, Options{})
	got, err := s.GetResult(ctx, "r1")
	require.NoError(t, err)
	want.Vigil.StoredAt = got.Vigil.StoredAt
	require.Equal(t, want, got)
	c, err := s.GetCatalog(ctx)
	require.NoError(t, err)
	require.Equal(t, "abc", c.Commit)
}

// TestTwoHandles is `vigil dev` and the CLI on the same file: each sees the
// other's writes, and concurrent writers from both are all stored.
func TestTwoHandles(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigil.db")
	a := openAt(t, path, Options{})
	b := openAt(t, path, Options{})

	require.NoError(t, a.WriteResults(ctx, []result.Result{storetest.NewResult("from-a", "shop", storetest.Base)}))
	_, err := b.GetResult(ctx, "from-a")
	require.NoError(t, err)

	var wg sync.WaitGroup
	for i, s := range []*Store{a, b} {
		wg.Go(func() {
			for n := range 20 {
				r := storetest.NewResult(fmt.Sprintf("h%d-%d", i, n), "shop", storetest.Base.Add(time.Duration(n)*time.Second))
				require.NoError(t, s.WriteResults(ctx, []result.Result{r}))
			}
		})
	}
	wg.Wait()
	for _, s := range []*Store{a, b} {
		got, err := s.ListResults(ctx, store.ResultQuery{Limit: 100})
		require.NoError(t, err)
		require.Len(t, got, 41)
	}
}

func TestStoredAtUsesClock(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 1, 2, 3, 4, 5, 6000, time.FixedZone("X", 3600))
	s := openAt(t, filepath.Join(t.TempDir(), "vigil.db"), Options{Now: func() time.Time { return now }})
	require.NoError(t, s.WriteResults(ctx, []result.Result{storetest.NewResult("r1", "shop", storetest.Base)}))

	got, err := s.GetResult(ctx, "r1")
	require.NoError(t, err)
	require.Equal(t, now.UTC(), *got.Vigil.StoredAt)
}

func TestSchemaAndPragmas(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "vigil.db"), Options{})

	var version int
	require.NoError(t, s.reader.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_version`).Scan(&version))
	require.Equal(t, SchemaVersion(), version)
	var mode string
	require.NoError(t, s.writer.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode))
	require.Equal(t, "wal", mode)
	var fk, sync int
	require.NoError(t, s.writer.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk))
	require.NoError(t, s.writer.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&sync))
	require.Equal(t, 1, fk)
	require.Equal(t, 1, sync, "NORMAL")
	var cache, checkpoint int
	require.NoError(t, s.writer.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&cache))
	require.NoError(t, s.writer.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&checkpoint))
	require.Equal(t, -writerCacheKiB, cache)
	require.Equal(t, walCheckpointPages, checkpoint)

	_, err := s.reader.ExecContext(ctx, `DELETE FROM results`)
	require.Error(t, err, "the reader pool is query-only")
}

func TestNewerSchemaIsRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigil.db")
	s, err := Open(ctx, path, Options{})
	require.NoError(t, err)
	_, err = s.writer.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (99, 0)`)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	_, err = Open(ctx, path, Options{})
	require.ErrorContains(t, err, "opening store "+path+": schema version 99 is newer")
}

func TestQueriesUseIndexes(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "vigil.db"), Options{})
	for _, q := range []store.ResultQuery{{MonitorID: "shop"}, {Status: "down"}, {Since: storetest.Base}} {
		query, args := listQuery(q)
		require.NotContains(t, explain(t, s.reader, query, args...), "SCAN results\n", "%+v", q)
	}
	require.NotContains(t, explain(t, s.reader, latestQuery), "SCAN results\n")
}

// explain returns the query plan, one detail per line.
func explain(t *testing.T, db *sql.DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.Query("EXPLAIN QUERY PLAN "+query, args...)
	require.NoError(t, err)
	defer func() { _ = rows.Close() }()
	var plan string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		plan += detail + "\n"
	}
	require.NoError(t, rows.Err())
	t.Logf("%s\n%s", query, plan)
	return plan
}

func TestFullSync(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "vigil.db"), Options{FullSync: true})
	var sync int
	require.NoError(t, s.writer.QueryRow(`PRAGMA synchronous`).Scan(&sync))
	require.Equal(t, 2, sync, "FULL")
}
