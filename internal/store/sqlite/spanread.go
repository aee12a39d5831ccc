package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
)

// querier is what reads need of a *sql.DB or a *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// blockRow is a span_blocks row as reads use it.
type blockRow struct {
	id int64
	blockMeta
}

// blockPage bounds how many block rows one query returns, so the rows are
// closed (and the connection free) before blocks are decoded.
const blockPage = 256

// GetSpan returns the stored span with that id, or an error wrapping
// store.ErrNotFound.
func (s *Store) GetSpan(ctx context.Context, id string) (span.Span, error) {
	var where []string
	var args []any
	// The agent's ids start with the span's start time: look only where
	// that time is; any other id has its filter tested in every block.
	if ts, ok := timeOfID(id); ok {
		where, args = []string{"min_ts <= ? AND max_ts >= ?"}, []any{ts, ts}
	}
	var found *entry
	err := s.scanBlocks(ctx, where, args, func(b blockRow) (bool, error) {
		if !(bloom{bits: b.filter}).mayContain(id) {
			return false, nil
		}
		entries, err := loadBlock(ctx, s.reader, b)
		if err != nil {
			return false, err
		}
		for i := range entries {
			if entries[i].id == id {
				found = &entries[i]
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return span.Span{}, s.describe(err, "reading span %q", id)
	}
	if found == nil {
		return span.Span{}, fmt.Errorf("span %q: %w", id, store.ErrNotFound)
	}
	var sp span.Span
	if err := found.decode(&sp); err != nil {
		return span.Span{}, s.describe(err, "decoding span %q", id)
	}
	return sp, nil
}

// timeOfID reads the start time span.TimeOrderedID puts in front of an id.
func timeOfID(id string) (int64, bool) {
	if len(id) != 13+16 {
		return 0, false
	}
	us, err := strconv.ParseUint(id[:13], 16, 64)
	if err != nil || us > 1<<62 {
		return 0, false
	}
	return int64(us), true
}

// ListSpans returns the spans matching q, newest @timestamp first; ties are
// ordered by id, descending.
func (s *Store) ListSpans(ctx context.Context, q store.SpanQuery) ([]span.Span, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	where, args := spanBlockFilter(q)
	var hits []entry
	sorted := true
	// Sorting after every block was quadratic in the blocks read: hits are
	// sorted only once the page is full (and at the end).
	trim := func() {
		if !sorted {
			slices.SortFunc(hits, newestFirst)
			sorted = true
		}
		hits = hits[:min(len(hits), limit)]
	}
	err := s.scanBlocks(ctx, where, args, func(b blockRow) (bool, error) {
		// Blocks come newest max_ts first: once a page is full, a block
		// that ends before its oldest span cannot add to it.
		if len(hits) >= limit {
			trim()
			if b.maxTS < hits[limit-1].ts {
				return true, nil
			}
		}
		if q.TraceID != "" && !(bloom{bits: b.filter}).mayContain(q.TraceID) {
			return false, nil
		}
		entries, err := loadBlock(ctx, s.reader, b)
		if err != nil {
			return false, err
		}
		for i := range entries {
			if matchesSpan(&entries[i], q) {
				hits = append(hits, entries[i])
				sorted = false
			}
		}
		return false, nil
	})
	if err != nil {
		return nil, s.describe(err, "listing spans")
	}
	trim()
	spans := make([]span.Span, len(hits)) // empty, not nil: callers encode it as []
	for i := range hits {
		if err := hits[i].decode(&spans[i]); err != nil {
			return nil, s.describe(err, "decoding stored span %q", hits[i].id)
		}
	}
	return spans, nil
}

func newestFirst(a, b entry) int {
	if c := cmp.Compare(b.ts, a.ts); c != 0 {
		return c
	}
	return strings.Compare(b.id, a.id)
}

// spanBlockFilter is the part of q the block rows can decide.
func spanBlockFilter(q store.SpanQuery) ([]string, []any) {
	var where []string
	var args []any
	if !q.Since.IsZero() {
		where, args = append(where, "max_ts >= ?"), append(args, q.Since.UnixMicro())
	}
	if !q.Until.IsZero() {
		where, args = append(where, "min_ts < ?"), append(args, q.Until.UnixMicro())
	}
	if q.Service != "" {
		where, args = append(where, "instr(services, ?) > 0"), append(args, "\n"+q.Service+"\n")
	}
	if q.Kind != "" {
		where, args = append(where, "instr(kinds, ?) > 0"), append(args, "\n"+q.Kind+"\n")
	}
	return where, args
}

func matchesSpan(e *entry, q store.SpanQuery) bool {
	return (q.Service == "" || e.service == q.Service) &&
		(q.Kind == "" || e.kind == q.Kind) &&
		(q.TraceID == "" || e.traceID == q.TraceID) &&
		(q.Since.IsZero() || e.ts >= q.Since.UnixMicro()) &&
		(q.Until.IsZero() || e.ts < q.Until.UnixMicro())
}

// scanBlocks calls fn for the blocks matching where, newest max_ts first,
// a page at a time, until fn says stop.
func (s *Store) scanBlocks(ctx context.Context, where []string, args []any, fn func(blockRow) (stop bool, err error)) error {
	var after *blockRow
	for {
		w, a := where, args
		if after != nil {
			w = append(slices.Clip(w), "(max_ts < ? OR (max_ts = ? AND id < ?))")
			a = append(slices.Clip(a), after.maxTS, after.maxTS, after.id)
		}
		page, err := queryBlocks(ctx, s.reader, w, a, "ORDER BY max_ts DESC, id DESC LIMIT "+strconv.Itoa(blockPage))
		if err != nil {
			return fmt.Errorf("reading span blocks: %w", err)
		}
		for _, b := range page {
			stop, err := fn(b)
			if err != nil || stop {
				return err
			}
		}
		if len(page) < blockPage {
			return nil
		}
		after = &page[len(page)-1]
	}
}

// blockMetas returns every block row matching where.
func blockMetas(ctx context.Context, q querier, where string, args ...any) ([]blockRow, error) {
	return queryBlocks(ctx, q, []string{where}, args, "")
}

const blockRowQuery = `SELECT id, min_ts, max_ts, n, services, kinds, filter FROM span_blocks`

func queryBlocks(ctx context.Context, q querier, where []string, args []any, tail string) ([]blockRow, error) {
	query := blockRowQuery
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := q.QueryContext(ctx, query+" "+tail, args...)
	if err != nil {
		return nil, err
	}
	return scanBlockRows(rows)
}

// scanBlockRows reads the rows of blockRowQuery and closes them.
func scanBlockRows(rows *sql.Rows) ([]blockRow, error) {
	defer func() { _ = rows.Close() }()
	var out []blockRow
	for rows.Next() {
		var b blockRow
		if err := rows.Scan(&b.id, &b.minTS, &b.maxTS, &b.n, &b.services, &b.kinds, &b.filter); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// loadBlock reads and decodes a block's spans.
func loadBlock(ctx context.Context, q querier, b blockRow) ([]entry, error) {
	var data []byte
	err := q.QueryRowContext(ctx, `SELECT data FROM span_block_data WHERE block = ?`, b.id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("span block %d has no data", b.id)
	}
	if err != nil {
		return nil, fmt.Errorf("reading span block %d: %w", b.id, err)
	}
	entries, err := decodeBlock(data, b.minTS)
	if err != nil {
		return nil, fmt.Errorf("span block %d: %w", b.id, err)
	}
	return entries, nil
}
