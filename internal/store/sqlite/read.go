package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/store"
)

// DefaultLimit is the number of documents ListResults and ListSpans return
// when the query sets none.
const DefaultLimit = 100

// GetResult returns the stored result with that id, or an error wrapping
// store.ErrNotFound.
func (s *Store) GetResult(ctx context.Context, id string) (result.Result, error) {
	return getDoc(ctx, s, "results", "result", id, decodeResult)
}

// getDoc reads the document with that id from table and decodes it; kind
// names the document in errors.
func getDoc[T any](ctx context.Context, s *Store, table, kind, id string, decode func(string) (T, error)) (T, error) {
	var zero T
	var doc string
	// table is always one of the store's fixed table names, never input.
	err := s.reader.QueryRowContext(ctx, `SELECT doc FROM `+table+` WHERE id = ?`, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return zero, fmt.Errorf("%s %q: %w", kind, id, store.ErrNotFound)
	}
	if err != nil {
		return zero, s.describe(err, "reading %s %q", kind, id)
	}
	v, err := decode(doc)
	if err != nil {
		return zero, s.describe(err, "reading %s %q", kind, id)
	}
	return v, nil
}

// ListResults returns the results matching q, newest @timestamp first; ties
// are ordered by id, descending.
func (s *Store) ListResults(ctx context.Context, q store.ResultQuery) ([]result.Result, error) {
	query, args := listQuery(q)
	results, err := s.queryResults(ctx, query, args...)
	if err != nil {
		return nil, s.describe(err, "listing results")
	}
	return results, nil
}

// listQuery builds the SELECT for q.
func listQuery(q store.ResultQuery) (string, []any) {
	var f filter
	f.eq("monitor_id", q.MonitorID)
	f.eq("status", q.Status)
	f.eq("location", q.Location)
	f.window(q.Since, q.Until)
	return f.selectDocs("results", q.Limit)
}

// filter collects the conditions of a list query. Only fixed SQL text is
// concatenated; values are always bound.
type filter struct {
	where []string
	args  []any
}

// eq adds column = value, unless value is empty ("any").
func (f *filter) eq(column, value string) {
	if value != "" {
		f.where = append(f.where, column+" = ?")
		f.args = append(f.args, value)
	}
}

// window bounds ts, at microsecond precision, the precision of the ts column;
// zero times are unbounded.
func (f *filter) window(since, until time.Time) {
	if !since.IsZero() {
		f.where = append(f.where, "ts >= ?")
		f.args = append(f.args, since.UnixMicro())
	}
	if !until.IsZero() {
		f.where = append(f.where, "ts < ?")
		f.args = append(f.args, until.UnixMicro())
	}
}

// selectDocs is the SELECT of the matching docs of table, newest first, ties
// by id descending; a limit of 0 or less means DefaultLimit.
func (f *filter) selectDocs(table string, limit int) (string, []any) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	var b strings.Builder
	b.WriteString("SELECT doc FROM " + table)
	if len(f.where) > 0 {
		b.WriteString(" WHERE " + strings.Join(f.where, " AND "))
	}
	b.WriteString(" ORDER BY ts DESC, id DESC LIMIT ?")
	return b.String(), append(f.args, limit)
}

// latestQuery finds each monitor's newest result with one index probe per
// monitor: the recursive part walks the distinct monitor ids through the
// (monitor_id, ts) index instead of scanning every result.
const latestQuery = `
WITH RECURSIVE monitors(id) AS (
	SELECT MIN(monitor_id) FROM results
	UNION ALL
	SELECT (SELECT MIN(monitor_id) FROM results WHERE monitor_id > monitors.id)
	FROM monitors WHERE monitors.id IS NOT NULL
)
SELECT (SELECT doc FROM results WHERE monitor_id = monitors.id ORDER BY ts DESC, id DESC LIMIT 1)
FROM monitors WHERE monitors.id IS NOT NULL`

// LatestResults returns the newest result of each monitor, by monitor id.
func (s *Store) LatestResults(ctx context.Context) (map[string]result.Result, error) {
	results, err := s.queryResults(ctx, latestQuery)
	if err != nil {
		return nil, s.describe(err, "reading latest results")
	}
	latest := make(map[string]result.Result, len(results))
	for _, r := range results {
		latest[r.Monitor.ID] = r
	}
	return latest, nil
}

// queryResults runs a query whose single column is a result document.
func (s *Store) queryResults(ctx context.Context, query string, args ...any) ([]result.Result, error) {
	rows, err := s.reader.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	results := []result.Result{} // empty, not nil: callers encode it as []
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		r, err := decodeResult(doc)
		if err != nil {
			return nil, err
		}
		results = append(results, r)
	}
	return results, rows.Err()
}

func decodeResult(doc string) (result.Result, error) {
	var r result.Result
	if err := json.Unmarshal([]byte(doc), &r); err != nil {
		return result.Result{}, fmt.Errorf("decoding stored result: %w", err)
	}
	return r, nil
}
