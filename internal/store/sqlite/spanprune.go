package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// pruneSpans deletes the blocks that end before the cutoff, a few at a time
// so that writers are not stalled, then rewrites the few blocks that
// straddle it without their expired spans: retention is exact.
func (s *Store) pruneSpans(ctx context.Context, before time.Time) (int64, error) {
	cutoff := before.UnixMicro()
	chunk := max(1, s.pruneChunk/100) // blocks hold up to maxBlockSpans spans
	var total int64
	for {
		deleted, spans, err := s.deleteBlocks(ctx, cutoff, chunk)
		total += spans
		if err != nil {
			return total, s.describe(err, "deleting spans before %s (%d deleted so far)", before.UTC().Format(time.RFC3339), total)
		}
		if deleted < chunk {
			break
		}
	}
	n, err := s.trimBlocks(ctx, cutoff)
	total += n
	if err != nil {
		return total, s.describe(err, "deleting spans before %s from the blocks that straddle it", before.UTC().Format(time.RFC3339))
	}
	return total, nil
}

// deleteBlocks deletes up to limit blocks that end before cutoff and
// returns how many blocks and spans went.
func (s *Store) deleteBlocks(ctx context.Context, cutoff int64, limit int) (blocks int, spans int64, err error) {
	rows, err := s.writer.QueryContext(ctx, `DELETE FROM span_blocks WHERE id IN (
		SELECT id FROM span_blocks WHERE max_ts < ? LIMIT ?) RETURNING n`, cutoff, limit)
	if err != nil {
		return 0, 0, err
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return blocks, spans, err
		}
		blocks++
		spans += n
	}
	return blocks, spans, rows.Err()
}

// trimBlocks rewrites the blocks holding spans on both sides of cutoff.
func (s *Store) trimBlocks(ctx context.Context, cutoff int64) (deleted int64, err error) {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("beginning transaction: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(tx))
		}
	}()
	metas, err := blockMetas(ctx, tx, `max_ts >= ? AND min_ts < ?`, cutoff, cutoff)
	if err != nil {
		return 0, fmt.Errorf("finding the blocks that straddle the cutoff: %w", err)
	}
	for _, m := range metas {
		entries, err := loadBlock(ctx, tx, m)
		if err != nil {
			return 0, err
		}
		kept := entries[:0:0]
		for _, e := range entries {
			if e.ts >= cutoff {
				kept = append(kept, e)
			}
		}
		data, meta, err := encodeBlock(kept, nil, nil) // max_ts >= cutoff: never empty
		if err != nil {
			return 0, fmt.Errorf("encoding span block %d without its expired spans: %w", m.id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE span_blocks SET min_ts = ?, max_ts = ?, n = ?, services = ?, kinds = ?, filter = ?
			WHERE id = ?`, meta.minTS, meta.maxTS, meta.n, meta.services, meta.kinds, meta.filter, m.id); err != nil {
			return 0, fmt.Errorf("rewriting span block %d: %w", m.id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE span_block_data SET ids = ?, data = ? WHERE block = ?`, meta.ids, data, m.id); err != nil {
			return 0, fmt.Errorf("rewriting span block %d: %w", m.id, err)
		}
		deleted += int64(len(entries) - len(kept))
	}
	return deleted, tx.Commit()
}
