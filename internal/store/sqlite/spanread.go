package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
)

// GetSpan returns the stored span with that id, or an error wrapping
// store.ErrNotFound.
func (s *Store) GetSpan(ctx context.Context, id string) (span.Span, error) {
	var doc string
	err := s.reader.QueryRowContext(ctx, `SELECT doc FROM spans WHERE id = ?`, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return span.Span{}, fmt.Errorf("span %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return span.Span{}, s.describe(err, "reading span %q", id)
	}
	var sp span.Span
	if err := json.Unmarshal([]byte(doc), &sp); err != nil {
		return span.Span{}, s.describe(err, "decoding span %q", id)
	}
	return sp, nil
}

// ListSpans returns the spans matching q, newest @timestamp first; ties are
// ordered by id, descending.
func (s *Store) ListSpans(ctx context.Context, q store.SpanQuery) ([]span.Span, error) {
	query, args := spanListQuery(q)
	spans, err := s.querySpans(ctx, query, args...)
	if err != nil {
		return nil, s.describe(err, "listing spans")
	}
	return spans, nil
}

// spanListQuery builds the SELECT for q.
func spanListQuery(q store.SpanQuery) (string, []any) {
	var f filter
	f.eq("service", q.Service)
	f.eq("kind", q.Kind)
	f.eq("trace_id", q.TraceID)
	f.window(q.Since, q.Until)
	return f.selectDocs("spans", q.Limit)
}

// querySpans runs a query whose single column is a span document.
func (s *Store) querySpans(ctx context.Context, query string, args ...any) ([]span.Span, error) {
	rows, err := s.reader.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	spans := []span.Span{} // empty, not nil: callers encode it as []
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		var sp span.Span
		if err := json.Unmarshal([]byte(doc), &sp); err != nil {
			return nil, fmt.Errorf("decoding stored span: %w", err)
		}
		spans = append(spans, sp)
	}
	return spans, rows.Err()
}
