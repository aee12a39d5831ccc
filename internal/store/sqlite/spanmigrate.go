package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// moveSpanRows moves the spans of schema 2 (a row each) into blocks, a page
// of rows at a time in time order, and drops their table. It runs inside the
// migration's transaction: either every span moves or none does.
func moveSpanRows(ctx context.Context, tx *sql.Tx, now time.Time) error {
	const page = maxBlockSpans
	var lastRowID int64
	for {
		rows, err := tx.QueryContext(ctx, `SELECT rowid, id, ts, service, kind, trace_id, doc, stored_at
			FROM spans WHERE rowid > ? ORDER BY rowid LIMIT ?`, lastRowID, page)
		if err != nil {
			return fmt.Errorf("reading spans to move into blocks: %w", err)
		}
		byBlock := map[int64][]entry{}
		storedAt := map[int64]int64{}
		n := 0
		for rows.Next() {
			e := entry{json: true}
			var stored int64
			if err := rows.Scan(&lastRowID, &e.id, &e.ts, &e.service, &e.kind, &e.traceID, &e.doc, &stored); err != nil {
				_ = rows.Close()
				return fmt.Errorf("reading spans to move into blocks: %w", err)
			}
			bucket := floorDiv(e.ts, blockBucketUS)
			byBlock[bucket] = append(byBlock[bucket], e)
			storedAt[bucket] = max(storedAt[bucket], stored)
			n++
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("reading spans to move into blocks: %w", err)
		}
		for bucket, entries := range byBlock {
			data, meta, err := encodeBlock(entries, nil, nil)
			if err != nil {
				return fmt.Errorf("moving %d spans into a block: %w", len(entries), err)
			}
			if _, err := insertBlock(ctx, tx, meta, data, storedAt[bucket]); err != nil {
				return fmt.Errorf("moving %d spans into a block: %w", len(entries), err)
			}
		}
		if n < page {
			break
		}
	}
	if _, err := tx.ExecContext(ctx, `DROP TABLE spans`); err != nil {
		return fmt.Errorf("dropping the span table of schema 2: %w", err)
	}
	return nil
}
