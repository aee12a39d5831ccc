package sqlite

import (
	"context"
	"time"

	"github.com/vigil-dev/vigil/internal/store"
)

// pruneIncidentsAfter ends Prune: when the results and spans went without
// error, it deletes the resolved incidents last updated before the cutoff and
// adds them to the count.
func (s *Store) pruneIncidentsAfter(ctx context.Context, before time.Time, deleted int64, err error) (int64, error) {
	if err != nil {
		return deleted, err
	}
	n, err := s.pruneIncidents(ctx, before)
	return deleted + n, err
}

// pruneIncidentsQuery deletes a chunk of the resolved incidents last updated
// before a cutoff. The state is literal SQL, not bound, so that the planner
// can use the partial index incidents_resolved_updated.
const pruneIncidentsQuery = `DELETE FROM incidents WHERE rowid IN (
	SELECT rowid FROM incidents WHERE state = '` + store.IncidentResolved + `' AND updated_at < ? LIMIT ?)`

// pruneIncidents deletes the resolved incidents whose updated_at is before
// the cutoff, a chunk at a time. Open incidents are never pruned, however
// old: their workflow is still running and will write them again.
func (s *Store) pruneIncidents(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		res, err := s.writer.ExecContext(ctx, pruneIncidentsQuery, before.UnixMicro(), s.pruneChunk)
		if err != nil {
			return total, s.describe(err, "deleting incidents resolved before %s (%d deleted so far)", before.UTC().Format(time.RFC3339), total)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, s.describe(err, "counting deleted incidents")
		}
		total += n
		if n < int64(s.pruneChunk) {
			return total, nil
		}
	}
}
