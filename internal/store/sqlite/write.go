package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-dev/vigil/internal/result"
)

// row is a result ready to insert.
type row struct {
	id, monitorID, status, location string
	ts                              int64
	doc                             []byte
}

// WriteResults stores the batch in one transaction: when it returns nil every
// result is durable (or was already stored), and when it fails none of the
// batch is. A result whose ID is already stored is skipped, so the first write
// wins. Vigil.StoredAt is set on the stored copies; the caller's slice is not
// modified.
func (s *Store) WriteResults(ctx context.Context, results []result.Result) error {
	if len(results) == 0 {
		return nil
	}
	now := s.opts.Now().UTC()
	rows, err := encodeResults(results, now)
	if err != nil {
		return s.describe(err, "writing %s", batchName(results))
	}
	inserted, err := s.insert(ctx, rows, now)
	if err != nil {
		return s.describe(err, "writing %s", batchName(results))
	}
	if skipped := len(rows) - inserted; skipped > 0 {
		s.log.DebugContext(ctx, "results already stored, skipped", "skipped", skipped, "written", inserted)
	}
	return nil
}

// encodeResults validates and serialises the batch before the transaction
// starts, so the write lock is held only for the inserts.
func encodeResults(results []result.Result, storedAt time.Time) ([]row, error) {
	rows := make([]row, 0, len(results))
	for i := range results {
		r := results[i] // a copy: StoredAt must not leak into the caller's value
		if r.ID == "" {
			return nil, fmt.Errorf("result %d of monitor %q has no id", i, r.Monitor.ID)
		}
		r.Vigil.StoredAt = &storedAt
		doc, err := json.Marshal(&r)
		if err != nil {
			return nil, fmt.Errorf("encoding result %s: %w", r.ID, err)
		}
		rows = append(rows, row{
			id:        r.ID,
			monitorID: r.Monitor.ID,
			status:    r.Monitor.Status,
			location:  r.Observer.Name,
			ts:        r.Timestamp.UnixMicro(),
			doc:       doc,
		})
	}
	return rows, nil
}

// insert writes the rows in one transaction and returns how many were new.
func (s *Store) insert(ctx context.Context, rows []row, now time.Time) (inserted int, err error) {
	storedAt := now.UnixMicro()
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("beginning transaction: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(tx))
		}
	}()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO results (id, monitor_id, status, location, ts, doc, stored_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`)
	if err != nil {
		return 0, fmt.Errorf("preparing insert: %w", err)
	}
	defer func() { _ = stmt.Close() }()
	for _, r := range rows {
		res, err := stmt.ExecContext(ctx, r.id, r.monitorID, r.status, r.location, r.ts, string(r.doc), storedAt)
		if err != nil {
			return 0, fmt.Errorf("inserting result %s: %w", r.id, err)
		}
		if n, err := res.RowsAffected(); err == nil {
			inserted += int(n)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("committing: %w", err)
	}
	return inserted, nil
}

func rollback(tx *sql.Tx) error {
	if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("rolling back: %w", err)
	}
	return nil
}

// batchName describes a batch for error messages.
func batchName(results []result.Result) string {
	if len(results) == 1 {
		return fmt.Sprintf("result %q", results[0].ID)
	}
	return fmt.Sprintf("%d results (%q to %q)", len(results), results[0].ID, results[len(results)-1].ID)
}
