package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/vigil-dev/vigil/internal/store"
)

// WriteTraces replaces the traces of the same ids and deletes those in
// deleted, in one transaction. Times are stored in UTC.
func (s *Store) WriteTraces(ctx context.Context, traces []store.Trace, deleted []string) (err error) {
	if len(traces) == 0 && len(deleted) == 0 {
		return nil
	}
	type row struct {
		id, services, doc string
		ts, assembled     int64
	}
	rows := make([]row, len(traces))
	for i := range traces {
		t := traces[i]
		if t.ID == "" {
			return s.describe(errors.New("trace has no id"), "writing trace %d of %d", i+1, len(traces))
		}
		t.Start, t.AssembledAt = t.Start.UTC(), t.AssembledAt.UTC()
		doc, err := json.Marshal(&t)
		if err != nil {
			return s.describe(err, "encoding trace %q", t.ID)
		}
		names := make([]string, len(t.Services))
		for j, sv := range t.Services {
			names[j] = sv.Name
		}
		rows[i] = row{t.ID, joinSet(names), string(doc), t.Start.UnixMicro(), t.AssembledAt.UnixMicro()}
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return s.describe(err, "writing %d traces", len(traces))
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(tx))
		}
	}()
	del, err := tx.PrepareContext(ctx, `DELETE FROM traces WHERE id = ?`)
	if err != nil {
		return s.describe(err, "deleting traces")
	}
	defer func() { _ = del.Close() }()
	for _, id := range deleted {
		if _, err := del.ExecContext(ctx, id); err != nil {
			return s.describe(err, "deleting trace %q", id)
		}
	}
	// Prepared once: parsing the statement per trace cost more than the write.
	put, err := tx.PrepareContext(ctx, `INSERT INTO traces (id, ts, services, doc, assembled_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET ts = excluded.ts, services = excluded.services, doc = excluded.doc,
			assembled_at = excluded.assembled_at`)
	if err != nil {
		return s.describe(err, "writing traces")
	}
	defer func() { _ = put.Close() }()
	for _, r := range rows {
		if _, err := put.ExecContext(ctx, r.id, r.ts, r.services, r.doc, r.assembled); err != nil {
			return s.describe(err, "writing trace %q", r.id)
		}
	}
	if err := tx.Commit(); err != nil {
		return s.describe(err, "committing %d traces", len(traces))
	}
	return nil
}

// GetTrace returns the stored trace with that id, or an error wrapping
// store.ErrNotFound.
func (s *Store) GetTrace(ctx context.Context, id string) (store.Trace, error) {
	return getDoc(ctx, s, "traces", "trace", id, decodeTrace)
}

// ListTraces returns the traces matching q, newest start first; ties are
// ordered by id, descending.
func (s *Store) ListTraces(ctx context.Context, q store.TraceQuery) ([]store.Trace, error) {
	var f filter
	f.window(q.Since, q.Until)
	if q.Service != "" {
		f.where = append(f.where, "instr(services, ?) > 0")
		f.args = append(f.args, "\n"+q.Service+"\n")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	query := "SELECT doc FROM traces"
	if len(f.where) > 0 {
		query += " WHERE " + strings.Join(f.where, " AND ")
	}
	rows, err := s.reader.QueryContext(ctx, query+" ORDER BY ts DESC, id DESC LIMIT ?", append(f.args, limit)...)
	if err != nil {
		return nil, s.describe(err, "listing traces")
	}
	defer func() { _ = rows.Close() }()
	traces := []store.Trace{}
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, s.describe(err, "listing traces")
		}
		t, err := decodeTrace(doc)
		if err != nil {
			return nil, s.describe(err, "listing traces")
		}
		traces = append(traces, t)
	}
	if err := rows.Err(); err != nil {
		return nil, s.describe(err, "listing traces")
	}
	return traces, nil
}

func decodeTrace(doc string) (store.Trace, error) {
	var t store.Trace
	if err := json.Unmarshal([]byte(doc), &t); err != nil {
		return store.Trace{}, fmt.Errorf("decoding stored trace: %w", err)
	}
	return t, nil
}

// GetTraceWatermark returns the watermark of trace assembly, or an error
// wrapping store.ErrNotFound before the first put.
func (s *Store) GetTraceWatermark(ctx context.Context) (store.TraceWatermark, error) {
	var doc string
	err := s.reader.QueryRowContext(ctx, `SELECT doc FROM trace_watermark WHERE id = 1`).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return store.TraceWatermark{}, fmt.Errorf("trace watermark: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.TraceWatermark{}, s.describe(err, "reading the trace watermark")
	}
	var w store.TraceWatermark
	if err := json.Unmarshal([]byte(doc), &w); err != nil {
		return store.TraceWatermark{}, s.describe(err, "decoding the trace watermark")
	}
	return w, nil
}

// PutTraceWatermark stores w unless the stored one is further on.
func (s *Store) PutTraceWatermark(ctx context.Context, w store.TraceWatermark) error {
	w.AssembledUntil, w.UpdatedAt = w.AssembledUntil.UTC(), w.UpdatedAt.UTC()
	doc, err := json.Marshal(&w)
	if err != nil {
		return s.describe(err, "encoding the trace watermark")
	}
	_, err = s.writer.ExecContext(ctx, `INSERT INTO trace_watermark (id, doc, assembled_until) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, assembled_until = excluded.assembled_until
		WHERE excluded.assembled_until >= trace_watermark.assembled_until`, string(doc), w.AssembledUntil.UnixMicro())
	if err != nil {
		return s.describe(err, "writing the trace watermark")
	}
	return nil
}
