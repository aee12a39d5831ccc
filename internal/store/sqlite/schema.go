package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migrations are applied in order; migrations[i] brings the schema to version
// i+1. Never edit one that has shipped: append a new one.
var migrations = []string{
	// 1: results and the catalog.
	`
CREATE TABLE results (
	id         TEXT    NOT NULL PRIMARY KEY,
	monitor_id TEXT    NOT NULL,
	status     TEXT    NOT NULL,
	location   TEXT    NOT NULL,
	ts         INTEGER NOT NULL, -- @timestamp, unix microseconds
	doc        TEXT    NOT NULL, -- JSON of result.Result
	stored_at  INTEGER NOT NULL  -- unix microseconds
);
CREATE INDEX results_monitor_ts ON results (monitor_id, ts DESC);
CREATE INDEX results_ts ON results (ts);
CREATE INDEX results_status_ts ON results (status, ts DESC);

CREATE TABLE catalog (
	id         INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
	doc        TEXT    NOT NULL, -- JSON of store.Catalog
	updated_at INTEGER NOT NULL  -- unix microseconds
);
`,
	// 2: spans. A rowid table, so that inserts append to the table and only
	// the indexes take the random ids and trace ids.
	`
CREATE TABLE spans (
	id        TEXT    NOT NULL PRIMARY KEY,
	ts        INTEGER NOT NULL, -- @timestamp, unix microseconds
	service   TEXT    NOT NULL,
	kind      TEXT    NOT NULL,
	trace_id  TEXT    NOT NULL,
	doc       TEXT    NOT NULL, -- JSON of span.Span
	stored_at INTEGER NOT NULL  -- unix microseconds
);
CREATE INDEX spans_service_ts ON spans (service, ts DESC);
CREATE INDEX spans_trace_ts ON spans (trace_id, ts DESC);
CREATE INDEX spans_kind_ts ON spans (kind, ts DESC); -- else a kind-only list sorts the table
CREATE INDEX spans_ts ON spans (ts);
`,
	// 3: spans in blocks (see spanblock.go); moveSpanRows then empties and
	// drops the table of migration 2.
	`
CREATE TABLE span_blocks (
	id        INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, -- never reused: caches key on it
	min_ts    INTEGER NOT NULL, -- @timestamp range of the block, unix microseconds
	max_ts    INTEGER NOT NULL,
	n         INTEGER NOT NULL, -- spans in the block
	services  TEXT    NOT NULL, -- "\nname\nname\n"
	kinds     TEXT    NOT NULL, -- same shape
	filter    BLOB    NOT NULL, -- bloom filter of span and trace ids
	stored_at INTEGER NOT NULL  -- unix microseconds
);
CREATE INDEX span_blocks_max_ts ON span_blocks (max_ts); -- and id: pages in (max_ts, id) order
CREATE TABLE span_block_data (
	block INTEGER NOT NULL PRIMARY KEY REFERENCES span_blocks (id) ON DELETE CASCADE,
	ids   BLOB    NOT NULL, -- sorted 64-bit hashes of the span ids: the duplicate check reads only these
	data  BLOB    NOT NULL  -- s2-compressed entries and documents
);
`,
	// 4: incidents, one row per Incident workflow, replaced at each change.
	// The indexes end with id so that lists come out in (started_at, id)
	// order without a sort. IF NOT EXISTS: the tests that rewind a file to
	// an older schema delete the later schema_version rows, not the tables.
	`
CREATE TABLE IF NOT EXISTS incidents (
	id         TEXT    NOT NULL PRIMARY KEY,
	rule       TEXT    NOT NULL,
	key        TEXT    NOT NULL, -- rule+group key
	state      TEXT    NOT NULL,
	started_at INTEGER NOT NULL, -- unix microseconds
	updated_at INTEGER NOT NULL, -- unix microseconds
	doc        TEXT    NOT NULL  -- JSON of store.Incident
);
CREATE INDEX IF NOT EXISTS incidents_state_started ON incidents (state, started_at, id);
CREATE INDEX IF NOT EXISTS incidents_rule_started ON incidents (rule, started_at, id);
CREATE INDEX IF NOT EXISTS incidents_started ON incidents (started_at, id);
-- Retention; state is constant here, but without it the planner prefers
-- incidents_state_started.
CREATE INDEX IF NOT EXISTS incidents_resolved_updated ON incidents (state, updated_at) WHERE state = 'resolved';
`,
	// 5: assembled traces (ts is the trace's start, so retention prunes
	// them like results) and the watermark of their assembly.
	`
CREATE TABLE IF NOT EXISTS traces (
	id           TEXT    NOT NULL PRIMARY KEY,
	ts           INTEGER NOT NULL, -- start, unix microseconds
	services     TEXT    NOT NULL, -- "\nname\nname\n", as span_blocks
	doc          TEXT    NOT NULL, -- JSON of store.Trace
	assembled_at INTEGER NOT NULL  -- unix microseconds
);
CREATE INDEX IF NOT EXISTS traces_ts ON traces (ts, id);
CREATE TABLE IF NOT EXISTS trace_watermark (
	id  INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
	doc TEXT    NOT NULL, -- JSON of store.TraceWatermark
	assembled_until INTEGER NOT NULL -- unix microseconds
);
`,
}

// afterMigration runs Go steps a migration needs, in its transaction.
var afterMigration = map[int]func(context.Context, *sql.Tx, time.Time) error{
	3: moveSpanRows,
}

// SchemaVersion is the schema version this code writes.
func SchemaVersion() int { return len(migrations) }

// migrate brings the schema up to date in one write transaction, so two
// processes opening a new file at once cannot both apply a migration.
func migrate(ctx context.Context, db *sql.DB, now time.Time) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrating schema: %w", err)
	}
	defer func() { _ = tx.Rollback() }()

	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version    INTEGER NOT NULL PRIMARY KEY,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("creating schema_version: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return fmt.Errorf("reading schema version: %w", err)
	}
	if current > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this binary knows (%d): use a newer vigil", current, len(migrations))
	}
	for v := current + 1; v <= len(migrations); v++ {
		if err := applyMigration(ctx, tx, v, now); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing schema migrations: %w", err)
	}
	return nil
}

func applyMigration(ctx context.Context, tx *sql.Tx, version int, now time.Time) error {
	if _, err := tx.ExecContext(ctx, migrations[version-1]); err != nil {
		return fmt.Errorf("applying schema migration %d: %w", version, err)
	}
	if step := afterMigration[version]; step != nil {
		if err := step(ctx, tx, now); err != nil {
			return fmt.Errorf("applying schema migration %d: %w", version, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (?, ?)`,
		version, now.UnixMicro()); err != nil {
		return fmt.Errorf("recording schema migration %d: %w", version, err)
	}
	return nil
}
