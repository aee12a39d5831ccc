package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
)

// LinkSpans writes correlation's links into the stored spans: the blocks
// holding them are decoded, the changed documents re-encoded and each
// changed block rewritten in place (its id and stored_at kept, so readers
// of the stored order do not see the spans again). A link that changes
// nothing writes nothing.
func (s *Store) LinkSpans(ctx context.Context, links []store.SpanLink) (err error) {
	if len(links) == 0 {
		return nil
	}
	byID := make(map[string]store.SpanLink, len(links))
	minTS, maxTS := links[0].Timestamp.UnixMicro(), links[0].Timestamp.UnixMicro()
	for _, l := range links {
		byID[l.SpanID] = l
		ts := l.Timestamp.UnixMicro()
		minTS, maxTS = min(minTS, ts), max(maxTS, ts)
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return s.describe(err, "linking %d spans", len(links))
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(tx))
		}
	}()
	metas, err := blockMetas(ctx, tx, `max_ts >= ? AND min_ts <= ?`, minTS, maxTS)
	if err != nil {
		return s.describe(err, "finding the blocks of %d spans to link", len(links))
	}
	for _, m := range metas {
		if !mayHoldAny(m, byID) {
			continue
		}
		entries, err := loadBlock(ctx, tx, m)
		if err != nil {
			return s.describe(err, "linking spans")
		}
		changed, err := applyLinks(entries, byID)
		if err != nil {
			return s.describe(err, "linking spans of block %d", m.id)
		}
		if !changed {
			continue
		}
		if err := rewriteBlock(ctx, tx, m.id, entries); err != nil {
			return s.describe(err, "linking spans")
		}
	}
	if err := tx.Commit(); err != nil {
		return s.describe(err, "committing the links of %d spans", len(links))
	}
	return nil
}

// mayHoldAny reports whether the block's range and filter admit one of the
// linked spans.
func mayHoldAny(m blockRow, links map[string]store.SpanLink) bool {
	f := bloom{bits: m.filter}
	for id, l := range links {
		ts := l.Timestamp.UnixMicro()
		if ts >= m.minTS && ts <= m.maxTS && f.mayContain(id) {
			return true
		}
	}
	return false
}

// applyLinks sets the links on the entries they name and reports whether
// any document changed.
func applyLinks(entries []entry, links map[string]store.SpanLink) (bool, error) {
	changed := false
	for i := range entries {
		e := &entries[i]
		l, ok := links[e.id]
		if !ok {
			continue
		}
		var sp span.Span
		if err := e.decode(&sp); err != nil {
			return false, fmt.Errorf("decoding span %q: %w", e.id, err)
		}
		if store.LinkOf(&sp) == withTime(l, sp) {
			continue
		}
		sp.Trace.ID = l.TraceID
		sp.Parent = nil
		if l.ParentID != "" {
			sp.Parent = &span.Parent{ID: l.ParentID}
		}
		sp.Vigil.ParentHow, sp.Vigil.ParentConfidence = l.How, l.Confidence
		e.doc, e.json = string(sp.AppendBinary(nil)), false
		e.traceID = l.TraceID
		changed = true
	}
	return changed, nil
}

// withTime is l with the span's own timestamp, so that a link compares
// equal to the span's whatever zone the caller's time was in.
func withTime(l store.SpanLink, sp span.Span) store.SpanLink {
	l.Timestamp = sp.Timestamp
	return l
}

// rewriteBlock replaces a block's data and row (the filter takes the new
// trace ids) under the same id.
func rewriteBlock(ctx context.Context, tx *sql.Tx, id int64, entries []entry) error {
	data, meta, err := encodeBlock(entries, nil, nil)
	if err != nil {
		return fmt.Errorf("encoding span block %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE span_blocks SET min_ts = ?, max_ts = ?, n = ?, services = ?, kinds = ?, filter = ?
		WHERE id = ?`, meta.minTS, meta.maxTS, meta.n, meta.services, meta.kinds, meta.filter, id); err != nil {
		return fmt.Errorf("rewriting span block %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE span_block_data SET ids = ?, data = ? WHERE block = ?`, meta.ids, data, id); err != nil {
		return fmt.Errorf("rewriting span block %d: %w", id, err)
	}
	return nil
}
