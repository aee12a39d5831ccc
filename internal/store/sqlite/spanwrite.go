package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
	"unsafe"

	"github.com/vigil-dev/vigil/internal/span"
)

// WriteSpans stores the batch in one transaction: when it returns nil every
// span is durable (or was already stored), and when it fails none of the batch
// is. A batch holding an invalid span is rejected whole. A span whose ID is
// already stored is skipped, so the first write wins. Vigil.StoredAt is set on
// the stored copies; the caller's slice is not modified.
func (s *Store) WriteSpans(ctx context.Context, spans []span.Span) error {
	if len(spans) == 0 {
		return nil
	}
	now := s.opts.Now().UTC()
	var sc *scratch
	select {
	case sc = <-s.scratch:
	default:
		sc = &scratch{}
	}
	defer func() { // after the inserts: the documents point into sc.docs
		select {
		case s.scratch <- sc:
		default:
		}
	}()
	groups, err := prepareSpans(spans, now, sc)
	if err != nil {
		return s.describe(err, "writing %s", spanBatchName(spans))
	}
	inserted, err := s.insertBlocks(ctx, groups, now.UnixMicro(), sc)
	if err != nil {
		return s.describe(err, "writing %s", spanBatchName(spans))
	}
	if skipped := len(spans) - inserted; skipped > 0 {
		s.log.DebugContext(ctx, "spans already stored, skipped", "skipped", skipped, "written", inserted)
	}
	return nil
}

// prepareSpans validates the whole batch, drops repeated ids (the first
// wins), encodes the documents and groups them into blocks by minute, before
// the transaction starts: the write lock is held only for the inserts.
func prepareSpans(spans []span.Span, storedAt time.Time, sc *scratch) ([][]entry, error) {
	for i := range spans {
		if err := spans[i].Validate(); err != nil {
			return nil, fmt.Errorf("span %d of the batch is invalid: %w", i, err)
		}
	}
	buf := slices.Grow(sc.docs[:0], len(spans)*512) // a span with http is about 400 bytes
	ends := make([]int, len(spans))
	var enc span.BinaryEncoder // a resource shared by spans is encoded once
	for i := range spans {
		sp := spans[i] // a copy: StoredAt must not leak into the caller's value
		sp.Vigil.StoredAt = &storedAt
		buf = enc.Append(buf, &sp)
		ends[i] = len(buf)
	}
	sc.docs = buf
	// Docs are substrings of the batch's buffer, which nothing writes to
	// until WriteSpans returns it to the pool: no copy per span, nor of the
	// batch.
	all := unsafe.String(unsafe.SliceData(buf), len(buf))

	seen := make(map[string]struct{}, len(spans))
	var groups [][]entry
	bucketOf := map[int64]int{} // minute -> index in groups of its open block
	start := 0
	for i := range spans {
		sp := &spans[i]
		doc := all[start:ends[i]]
		start = ends[i]
		if _, dup := seen[sp.ID]; dup {
			continue
		}
		seen[sp.ID] = struct{}{}
		ts := sp.Timestamp.UnixMicro()
		bucket := floorDiv(ts, blockBucketUS)
		g, ok := bucketOf[bucket]
		if !ok || len(groups[g]) == maxBlockSpans {
			groups = append(groups, make([]entry, 0, min(len(spans), maxBlockSpans)))
			g = len(groups) - 1
			bucketOf[bucket] = g
		}
		groups[g] = append(groups[g], entry{
			ts: ts, id: sp.ID, traceID: sp.Trace.ID, service: sp.Service.Name, kind: sp.Span.Kind, doc: doc,
		})
	}
	return groups, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// insertBlocks writes each group as a block, without the spans already
// stored, in one transaction, and returns how many spans were new.
func (s *Store) insertBlocks(ctx context.Context, groups [][]entry, storedAt int64, sc *scratch) (inserted int, err error) {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("beginning transaction: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(tx))
		}
	}()
	stx := spanTx{tx, s.stmts}
	var written []cachedIDs
	for _, g := range groups {
		hashes := sortedHashes(g) // for the duplicate check and the block's row
		kept, err := withoutStored(ctx, stx, g, hashes, s.ids)
		if err != nil {
			return 0, err
		}
		if len(kept) == 0 {
			continue
		}
		if len(kept) < len(g) {
			g, hashes = kept, nil
		}
		data, meta, err := encodeBlock(g, hashes, sc)
		if err != nil {
			return 0, fmt.Errorf("encoding a block of spans %q to %q: %w", g[0].id, g[len(g)-1].id, err)
		}
		id, err := stx.insertBlock(ctx, meta, data, storedAt)
		if err != nil {
			return 0, fmt.Errorf("inserting a block of spans %q to %q: %w", g[0].id, g[len(g)-1].id, err)
		}
		written = append(written, cachedIDs{id, meta.ids})
		inserted += len(g)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("committing: %w", err)
	}
	for _, w := range written { // only now: a rolled-back block must not be cached
		s.ids.put(w.block, w.ids)
	}
	return inserted, nil
}

func insertBlock(ctx context.Context, tx *sql.Tx, meta blockMeta, data []byte, storedAt int64) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO span_blocks (min_ts, max_ts, n, services, kinds, filter, stored_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, meta.minTS, meta.maxTS, meta.n, meta.services, meta.kinds, meta.filter, storedAt)
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO span_block_data (block, ids, data) VALUES (?, ?, ?)`, id, meta.ids, data)
	return id, err
}

// withoutStored drops the entries whose id a stored block already holds. A
// duplicate has the same @timestamp as the original, so only the blocks
// whose time range covers the group's can hold one; their sorted id hashes
// are compared with the group's, and a block is decoded only when a hash
// matches (a replay, or a 64-bit collision).
func withoutStored(ctx context.Context, tx spanTx, g []entry, hashes []uint64, cache *idCache) ([]entry, error) {
	minTS, maxTS := g[0].ts, g[0].ts
	for _, e := range g {
		minTS, maxTS = min(minTS, e.ts), max(maxTS, e.ts)
	}
	metas, err := tx.overlapping(ctx, minTS, maxTS)
	if err != nil {
		return nil, fmt.Errorf("finding blocks that may hold these spans: %w", err)
	}
	if len(metas) == 0 {
		return g, nil
	}
	set := newHashSet(hashes)
	stored := map[string]struct{}{}
	for _, m := range metas {
		ids, ok := cache.get(m.id)
		if !ok {
			if ids, err = tx.blockIDs(ctx, m.id); err != nil {
				return nil, fmt.Errorf("reading the span ids of block %d: %w", m.id, err)
			}
		}
		if !set.anyIn(ids) {
			continue
		}
		entries, err := loadBlock(ctx, tx, m)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			stored[e.id] = struct{}{}
		}
	}
	if len(stored) == 0 {
		return g, nil
	}
	kept := g[:0:0]
	for _, e := range g {
		if _, dup := stored[e.id]; !dup {
			kept = append(kept, e)
		}
	}
	return kept, nil
}

// spanBatchName describes a batch for error messages.
func spanBatchName(spans []span.Span) string {
	if len(spans) == 1 {
		return fmt.Sprintf("span %q", spans[0].ID)
	}
	return fmt.Sprintf("%d spans (%q to %q)", len(spans), spans[0].ID, spans[len(spans)-1].ID)
}
