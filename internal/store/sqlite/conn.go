package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strconv"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Writer cache and checkpoint sizes; see writerDSN.
const (
	writerCacheKiB     = 32 << 10
	walCheckpointPages = 10_000
)

// writerDSN configures the write connection. _txlock=immediate makes BEGIN
// take the write lock at once, so waiting for another writer goes through
// busy_timeout instead of failing with SQLITE_BUSY in the middle of a
// transaction.
func writerDSN(path string, opts Options) string {
	q := baseParams(opts)
	q.Add("_pragma", "journal_mode(WAL)")
	// Span indexes on random keys (id, trace_id) dirty about a page per row:
	// the default 2 MiB cache spilled and re-read them, and checkpointing
	// every 1000 pages copied the same pages again and again. Measured: a
	// quarter more spans per CPU second, for a WAL of up to ~40 MB.
	q.Add("_pragma", "cache_size(-"+strconv.Itoa(writerCacheKiB)+")") // negative: KiB, not pages
	q.Add("_pragma", "wal_autocheckpoint("+strconv.Itoa(walCheckpointPages)+")")
	q.Set("_txlock", "immediate")
	return fileURI(path, q)
}

// readerDSN configures the read connections; query_only guards against a
// write slipping onto the reader pool, where it would race the writer.
func readerDSN(path string, opts Options) string {
	q := baseParams(opts)
	q.Add("_pragma", "query_only(1)")
	return fileURI(path, q)
}

func baseParams(opts Options) url.Values {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(opts.BusyTimeout.Milliseconds(), 10)+")")
	if opts.FullSync {
		q.Add("_pragma", "synchronous(FULL)")
	} else {
		q.Add("_pragma", "synchronous(NORMAL)")
	}
	q.Add("_pragma", "foreign_keys(1)")
	return q
}

// fileURI builds a SQLite URI so that any character in the path (?, #, %) is
// taken literally.
func fileURI(path string, q url.Values) string {
	u := url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}
	return u.String()
}

// openDB opens a pool and connects once, so that a bad file fails Open rather
// than the first query.
func openDB(ctx context.Context, dsn string, conns int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

// describe names the file and the operation in an error, keeping the
// driver's error reachable with errors.As.
func (s *Store) describe(err error, format string, args ...any) error {
	return fmt.Errorf("store %s: %s: %w", s.path, fmt.Sprintf(format, args...), err)
}
