package sqlite

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
)

// SpansStoredAfter reads spans in the order their blocks were inserted.
// The cursor is a block id: ids are AUTOINCREMENT and SQLite has one writer,
// so they follow commit order, which stored_at (taken before the write
// waits for the lock) does not. A rewritten block (LinkSpans, retention)
// keeps its id and is not read again.
func (s *Store) SpansStoredAfter(ctx context.Context, q store.StoredQuery) (store.SpansStored, error) {
	cursor, limit := q.Cursor, q.Limit
	var after int64
	if cursor != "" {
		var err error
		if after, err = strconv.ParseInt(cursor, 10, 64); err != nil || after < 0 {
			return store.SpansStored{}, s.describe(fmt.Errorf("invalid cursor %q", cursor), "reading spans stored after a cursor")
		}
	}
	if limit <= 0 {
		limit = DefaultLimit
	}
	out := store.SpansStored{Spans: []span.Span{}, Next: cursor}
	sinceUS, untilUS := int64(math.MinInt64), int64(math.MaxInt64)
	if !q.Since.IsZero() {
		sinceUS = q.Since.UnixMicro()
	}
	if !q.Until.IsZero() {
		untilUS = q.Until.UnixMicro()
	}
	var lastStored int64 = -1
	for {
		page, err := s.blocksAfter(ctx, after)
		if err != nil {
			return out, s.describe(err, "reading spans stored after block %d", after)
		}
		for _, b := range page {
			// One write's blocks share stored_at: never split them.
			if len(out.Spans) >= limit && b.storedAt != lastStored {
				return out, nil
			}
			after, lastStored = b.id, b.storedAt
			out.Next = strconv.FormatInt(b.id, 10)
			if b.maxTS < sinceUS || b.minTS >= untilUS {
				continue // no decoding: most blocks hold only spans newer than Until
			}
			entries, err := loadBlock(ctx, s.reader, b.blockRow)
			if err != nil {
				return out, s.describe(err, "reading spans stored after a cursor")
			}
			for i := range entries {
				if entries[i].ts < sinceUS || entries[i].ts >= untilUS {
					continue
				}
				var sp span.Span
				if err := entries[i].decode(&sp); err != nil {
					return out, s.describe(err, "decoding stored span %q", entries[i].id)
				}
				out.Spans = append(out.Spans, sp)
			}
		}
		if len(page) < blockPage {
			return out, nil
		}
	}
}

type storedBlock struct {
	blockRow
	storedAt int64
}

// blocksAfter returns a page of block rows (without their filters) after
// the block id, in id order.
func (s *Store) blocksAfter(ctx context.Context, after int64) ([]storedBlock, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT id, min_ts, max_ts, n, stored_at FROM span_blocks
		WHERE id > ? ORDER BY id LIMIT ?`, after, blockPage)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	var out []storedBlock
	for rows.Next() {
		var b storedBlock
		if err := rows.Scan(&b.id, &b.minTS, &b.maxTS, &b.n, &b.storedAt); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}
