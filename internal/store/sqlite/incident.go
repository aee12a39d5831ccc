package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vigil-dev/vigil/internal/store"
)

// upsertIncident replaces the stored incident unless it was updated later:
// on a tie the new write wins, so a retried write of the same state is
// harmless. updated_at is compared to the microsecond.
const upsertIncident = `INSERT INTO incidents (id, rule, key, state, started_at, updated_at, doc)
	VALUES (?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO UPDATE SET rule = excluded.rule, key = excluded.key, state = excluded.state,
		started_at = excluded.started_at, updated_at = excluded.updated_at, doc = excluded.doc
	WHERE excluded.updated_at >= incidents.updated_at`

// PutIncident stores the incident's current state, unless the stored one has
// a later UpdatedAt: then the write is skipped and PutIncident returns nil.
// Times are stored in UTC; the caller's value is not modified.
func (s *Store) PutIncident(ctx context.Context, in store.Incident) error {
	if err := in.Validate(); err != nil {
		return s.describe(err, "writing incident")
	}
	in = incidentUTC(in)
	doc, err := json.Marshal(&in)
	if err != nil {
		return s.describe(err, "encoding incident %q", in.ID)
	}
	res, err := s.writer.ExecContext(ctx, upsertIncident, in.ID, in.Rule, in.Key, in.State,
		in.StartedAt.UnixMicro(), in.UpdatedAt.UnixMicro(), string(doc))
	if err != nil {
		return s.describe(err, "writing incident %q", in.ID)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		s.log.DebugContext(ctx, "incident already stored in a later state, write skipped",
			"incident", in.ID, "state", in.State, "updated_at", in.UpdatedAt)
	}
	return nil
}

// incidentUTC returns a copy of in with its times in UTC, so that they come
// back as written whatever zone the caller used; the pointers are copied, not
// shared with the caller.
func incidentUTC(in store.Incident) store.Incident {
	in.StartedAt = in.StartedAt.UTC()
	in.UpdatedAt = in.UpdatedAt.UTC()
	if in.AckedAt != nil {
		t := in.AckedAt.UTC()
		in.AckedAt = &t
	}
	if in.ResolvedAt != nil {
		t := in.ResolvedAt.UTC()
		in.ResolvedAt = &t
	}
	return in
}

// GetIncident returns the stored incident with that id, or an error wrapping
// store.ErrNotFound.
func (s *Store) GetIncident(ctx context.Context, id string) (store.Incident, error) {
	return getDoc(ctx, s, "incidents", "incident", id, decodeIncident)
}

// ListIncidents returns the incidents matching q, newest StartedAt first;
// ties are ordered by id, descending.
func (s *Store) ListIncidents(ctx context.Context, q store.IncidentQuery) ([]store.Incident, error) {
	query, args := incidentListQuery(q)
	incidents, err := s.queryIncidents(ctx, query, args...)
	if err != nil {
		return nil, s.describe(err, "listing incidents")
	}
	return incidents, nil
}

// incidentListQuery builds the SELECT for q. Only fixed SQL text is
// concatenated; values are always bound.
func incidentListQuery(q store.IncidentQuery) (string, []any) {
	var f filter
	f.eq("state", q.State)
	f.eq("rule", q.Rule)
	if q.Open {
		f.where = append(f.where, "state IN (?, ?)")
		f.args = append(f.args, store.IncidentFiring, store.IncidentAcknowledged)
	}
	if !q.Since.IsZero() {
		f.where = append(f.where, "started_at >= ?")
		f.args = append(f.args, q.Since.UnixMicro())
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	var b strings.Builder
	b.WriteString("SELECT doc FROM incidents")
	if len(f.where) > 0 {
		b.WriteString(" WHERE " + strings.Join(f.where, " AND "))
	}
	b.WriteString(" ORDER BY started_at DESC, id DESC LIMIT ?")
	return b.String(), append(f.args, limit)
}

// queryIncidents runs a query whose single column is an incident document.
func (s *Store) queryIncidents(ctx context.Context, query string, args ...any) ([]store.Incident, error) {
	rows, err := s.reader.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	incidents := []store.Incident{} // empty, not nil: callers encode it as []
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		in, err := decodeIncident(doc)
		if err != nil {
			return nil, err
		}
		incidents = append(incidents, in)
	}
	return incidents, rows.Err()
}

func decodeIncident(doc string) (store.Incident, error) {
	var in store.Incident
	if err := json.Unmarshal([]byte(doc), &in); err != nil {
		return store.Incident{}, fmt.Errorf("decoding stored incident: %w", err)
	}
	return in, nil
}
