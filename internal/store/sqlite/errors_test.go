package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/store/storetest"
)

// Root ignores file modes, so the tests make SQLite fail in ways that hold
// for root too: a directory in place of the file, and locks held by another
// connection.

func TestOpenDirectoryFails(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(context.Background(), dir, Options{})
	require.EqualError(t, err, "opening store "+dir+": is a directory, not a database file")
}

func TestOpenUnderAFileFails(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "vigil.db")
	openAt(t, file, Options{})
	_, err := Open(ctx, filepath.Join(file, "nested.db"), Options{})
	require.ErrorContains(t, err, "opening store "+filepath.Join(file, "nested.db")+": creating directory")
}

// lockFile holds the database's write lock from a separate connection, as
// another process would, until the test ends or release is called.
func lockFile(t *testing.T, path, begin string) (release func()) {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	_, err = conn.ExecContext(ctx, begin)
	require.NoError(t, err)
	var once bool
	release = func() {
		if once {
			return
		}
		once = true
		_, err := conn.ExecContext(ctx, "ROLLBACK")
		require.NoError(t, err)
		require.NoError(t, conn.Close())
		require.NoError(t, db.Close())
	}
	t.Cleanup(release)
	return release
}

func requireBusy(t *testing.T, err error) {
	t.Helper()
	var serr *sqlite.Error
	require.True(t, errors.As(err, &serr), "the driver's error is wrapped: %v", err)
	require.Equal(t, sqlite3.SQLITE_BUSY, serr.Code()&0xff)
}

func TestOpenLockedFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	_, err = db.Exec(`CREATE TABLE other (x)`) // a rollback-journal file, so EXCLUSIVE locks out everyone
	require.NoError(t, err)
	require.NoError(t, db.Close())
	lockFile(t, path, "BEGIN EXCLUSIVE")

	_, err = Open(context.Background(), path, Options{BusyTimeout: 50 * time.Millisecond})
	require.ErrorContains(t, err, "opening store "+path+": ")
	require.ErrorContains(t, err, "database is locked")
	requireBusy(t, err)
}

func TestWriteWhileLockedFailsAndKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigil.db")
	s := openAt(t, path, Options{BusyTimeout: 50 * time.Millisecond})
	kept := storetest.NewResult("kept", "shop", storetest.Base)
	require.NoError(t, s.WriteResults(ctx, []result.Result{kept}))

	release := lockFile(t, path, "BEGIN IMMEDIATE")
	batch := []result.Result{
		storetest.NewResult("new-1", "shop", storetest.Base.Add(time.Minute)),
		storetest.NewResult("new-2", "shop", storetest.Base.Add(2*time.Minute)),
	}
	err := s.WriteResults(ctx, batch)
	require.ErrorContains(t, err, "store "+path+`: writing 2 results ("new-1" to "new-2"): `)
	require.ErrorContains(t, err, "database is locked")
	requireBusy(t, err)
	err = s.PutCatalog(ctx, store.Catalog{Commit: "abc"})
	require.ErrorContains(t, err, `writing catalog of commit "abc"`)
	requireBusy(t, err)

	// Readers are not blocked by a writer in WAL mode.
	got, err := s.ListResults(ctx, store.ResultQuery{})
	require.NoError(t, err)
	require.Equal(t, []string{"kept"}, resultIDs(got))

	release()
	require.NoError(t, s.WriteResults(ctx, batch), "the same batch succeeds once the lock is gone")
	got, err = s.ListResults(ctx, store.ResultQuery{})
	require.NoError(t, err)
	require.Equal(t, []string{"new-2", "new-1", "kept"}, resultIDs(got))
}

func TestWriteCanceled(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "vigil.db"), Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.WriteResults(ctx, []result.Result{storetest.NewResult("r", "shop", storetest.Base)})
	require.ErrorIs(t, err, context.Canceled)
	_, err = s.GetResult(context.Background(), "r")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func resultIDs(results []result.Result) []string {
	ids := make([]string, len(results))
	for i, r := range results {
		ids[i] = r.ID
	}
	return ids
}
