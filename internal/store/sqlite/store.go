// Package sqlite is the embedded store: one SQLite file under the data
// directory, through the pure-Go modernc.org/sqlite driver. Results and spans
// are kept as their JSON document next to the few columns the queries filter
// on.
//
// Writes go through a pool of one connection (SQLite has one writer at a time,
// and queueing in Go is cheaper than spinning on SQLITE_BUSY); reads use a
// separate pool of query-only connections, which WAL mode lets run alongside
// the writer. Several processes may open the same file.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/vigil-dev/vigil/internal/store"
)

// Defaults of Options.
const (
	DefaultBusyTimeout   = 5 * time.Second
	DefaultPruneInterval = time.Hour
)

// Options tune a Store; the zero value is usable.
type Options struct {
	// Retention deletes results and spans whose @timestamp is older than
	// this, in the background every PruneInterval while the store is open; 0
	// keeps all.
	Retention     time.Duration
	PruneInterval time.Duration // default DefaultPruneInterval
	// BusyTimeout is how long a statement waits for a lock held by another
	// connection or process before failing with "database is locked".
	BusyTimeout time.Duration // default DefaultBusyTimeout
	// FullSync fsyncs the WAL at every commit (synchronous=FULL). By default
	// (NORMAL) a committed write survives a crash of the process but the last
	// commits may be lost if the machine loses power.
	FullSync  bool
	ReadConns int          // size of the reader pool; default max(4, GOMAXPROCS)
	Logger    *slog.Logger // default slog.Default()
	// Now is the clock used for Vigil.StoredAt and retention; default time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.PruneInterval <= 0 {
		o.PruneInterval = DefaultPruneInterval
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = DefaultBusyTimeout
	}
	if o.ReadConns <= 0 {
		o.ReadConns = max(4, runtime.GOMAXPROCS(0))
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Store is the SQLite backend of store.Store. It is safe for concurrent use.
type Store struct {
	path   string
	opts   Options
	log    *slog.Logger
	writer *sql.DB    // one connection
	stmts  *spanStmts // prepared on writer
	reader *sql.DB    // query-only connections

	pruneChunk int // rows per DELETE in Prune

	stopPruner context.CancelFunc
	prunerDone chan struct{}
	scratch    chan *scratch // buffers of WriteSpans; not a sync.Pool, which every GC empties
	ids        *idCache      // id hashes of the latest blocks written
	closeOnce  sync.Once
	closeErr   error
}

var _ store.Store = (*Store)(nil)

// Open opens the store in the file at path, creating the file, its directory
// and the schema as needed.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("opening store %s: %w", path, err)
	}
	if err := prepareFile(abs); err != nil {
		return nil, fmt.Errorf("opening store %s: %w", abs, err)
	}
	s := &Store{
		path: abs,
		opts: opts,
		log:  opts.Logger.With("component", "store.sqlite", "path", abs),

		pruneChunk: defaultPruneChunk,
		ids:        newIDCache(256), // ~2 MB with blocks of 1000 spans
		scratch:    make(chan *scratch, 2),
	}
	if err := s.openPools(ctx); err != nil {
		_ = s.closePools()
		return nil, fmt.Errorf("opening store %s: %w", abs, err)
	}
	s.startPruner()
	s.log.Debug("store opened", "read_conns", opts.ReadConns, "retention", opts.Retention)
	return s, nil
}

// prepareFile creates the directory and rejects a path SQLite would refuse
// with an unhelpful "unable to open database file".
func prepareFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("creating directory: %w", err)
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.IsDir():
		return errors.New("is a directory, not a database file")
	case !fi.Mode().IsRegular():
		return fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	}
	return nil
}

func (s *Store) openPools(ctx context.Context) error {
	var err error
	// The writer goes first: it sets WAL mode and migrates the schema, which
	// the readers rely on.
	if s.writer, err = openDB(ctx, writerDSN(s.path, s.opts), 1); err != nil {
		return err
	}
	if err := migrate(ctx, s.writer, s.opts.Now()); err != nil {
		return err
	}
	if s.stmts, err = prepareSpanStmts(ctx, s.writer); err != nil {
		return err
	}
	if s.reader, err = openDB(ctx, readerDSN(s.path, s.opts), s.opts.ReadConns); err != nil {
		return err
	}
	return nil
}

// Path is the absolute path of the database file.
func (s *Store) Path() string { return s.path }

// Close stops the background pruner and closes the database. It is safe to
// call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.stopPruner != nil {
			s.stopPruner()
			<-s.prunerDone
		}
		if err := s.closePools(); err != nil {
			s.closeErr = fmt.Errorf("closing store %s: %w", s.path, err)
		}
	})
	return s.closeErr
}

func (s *Store) closePools() error {
	var errs []error
	// Readers first: the last connection to close checkpoints the WAL, and
	// that should be the writer.
	if s.reader != nil {
		errs = append(errs, s.reader.Close())
	}
	errs = append(errs, s.stmts.close())
	if s.writer != nil {
		errs = append(errs, s.writer.Close())
	}
	return errors.Join(errs...)
}
