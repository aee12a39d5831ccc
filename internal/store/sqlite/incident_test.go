package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/store/storetest"
)

// TestIncidentQueriesUseIndexes checks that every list query searches an
// index and reads it in order: no scan of the table, and no sort unless the
// open filter probes two states.
func TestIncidentQueriesUseIndexes(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "vigil.db"), Options{})
	tests := []struct {
		q     store.IncidentQuery
		index string
		sort  bool
	}{
		{store.IncidentQuery{}, "SCAN incidents USING INDEX incidents_started\n", false},
		{store.IncidentQuery{State: store.IncidentFiring}, "SEARCH incidents USING INDEX incidents_state_started (state=?)", false},
		{store.IncidentQuery{State: store.IncidentResolved, Since: storetest.Base}, "SEARCH incidents USING INDEX incidents_state_started (state=? AND started_at>?)", false},
		{store.IncidentQuery{Open: true}, "SEARCH incidents USING INDEX incidents_state_started (state=?)", true},
		{store.IncidentQuery{Rule: "checkout-down"}, "SEARCH incidents USING INDEX incidents_rule_started (rule=?)", false},
		{store.IncidentQuery{Rule: "checkout-down", Since: storetest.Base}, "SEARCH incidents USING INDEX incidents_rule_started (rule=? AND started_at>?)", false},
		{store.IncidentQuery{Since: storetest.Base}, "SEARCH incidents USING INDEX incidents_started (started_at>?)", false},
	}
	for _, tc := range tests {
		query, args := incidentListQuery(tc.q)
		plan := explain(t, s.reader, query, args...)
		require.NotContains(t, plan, "SCAN incidents\n", "%+v", tc.q)
		require.Contains(t, plan, tc.index, "%+v", tc.q)
		if !tc.sort {
			require.NotContains(t, plan, "TEMP B-TREE", "%+v", tc.q)
		}
	}
	plan := explain(t, s.writer, pruneIncidentsQuery, 1, 10)
	require.Contains(t, plan, "USING COVERING INDEX incidents_resolved_updated (state=? AND updated_at<?)", "the prune query")
}

func TestPutIncidentInvalidNamesIncident(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "vigil.db"), Options{})
	in := storetest.NewIncident("vigil-incident/checkout-down/ab12cd", "checkout-down", storetest.Base)
	in.StartedAt = time.Time{}
	err := s.PutIncident(context.Background(), in)
	require.EqualError(t, err, "store "+s.Path()+`: writing incident: incident "vigil-incident/checkout-down/ab12cd" has no started_at`)
}

// TestPutIncidentKeepsCallerValue checks that the times of the stored copy
// are made UTC without touching the caller's.
func TestPutIncidentKeepsCallerValue(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "vigil.db"), Options{})
	zone := time.FixedZone("X", 2*3600)
	in := storetest.NewIncident("inc", "r", storetest.Base.In(zone))
	in.StartedAt = in.StartedAt.In(zone)
	acked := in.UpdatedAt.In(zone)
	in.AckedAt = &acked
	require.NoError(t, s.PutIncident(ctx, in))
	require.Equal(t, zone, in.AckedAt.Location())

	got, err := s.GetIncident(ctx, "inc")
	require.NoError(t, err)
	require.Equal(t, time.UTC, got.StartedAt.Location())
	require.Equal(t, time.UTC, got.AckedAt.Location())
	require.True(t, got.AckedAt.Equal(acked))
}

// TestPruneIncidents prunes resolved incidents last updated before the
// cutoff, more than a delete chunk of them; open incidents stay however old,
// and so does the rest.
func TestPruneIncidents(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "vigil.db"), Options{})
	s.pruneChunk = 10
	cutoff := storetest.Base
	put := func(id, state string, updated time.Time) {
		t.Helper()
		in := storetest.NewIncident(id, "r", updated.Add(-24*time.Hour))
		in.State, in.UpdatedAt = state, updated
		require.NoError(t, s.PutIncident(ctx, in))
	}
	old := 2*s.pruneChunk + 7
	for i := range old {
		put(fmt.Sprintf("old-%05d", i), store.IncidentResolved, cutoff.Add(-time.Duration(i+1)*time.Microsecond))
	}
	put("resolved-at-cutoff", store.IncidentResolved, cutoff)
	put("resolved-new", store.IncidentResolved, cutoff.Add(time.Hour))
	put("old-firing", store.IncidentFiring, cutoff.Add(-time.Hour))
	put("old-acknowledged", store.IncidentAcknowledged, cutoff.Add(-time.Hour))

	n, err := s.Prune(ctx, cutoff)
	require.NoError(t, err)
	require.Equal(t, int64(old), n)
	got, err := s.ListIncidents(ctx, store.IncidentQuery{Limit: 1000})
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"resolved-at-cutoff", "resolved-new", "old-firing", "old-acknowledged"}, incidentIDs(got))

	n, err = s.Prune(ctx, cutoff)
	require.NoError(t, err)
	require.Zero(t, n, "nothing left to prune")
}

func TestRetentionPrunesResolvedIncidents(t *testing.T) {
	ctx := context.Background()
	now := storetest.Base
	s := openAt(t, filepath.Join(t.TempDir(), "vigil.db"), Options{
		Retention:     24 * time.Hour,
		PruneInterval: 10 * time.Millisecond,
		Now:           func() time.Time { return now }, // read-only: no race
	})
	for id, state := range map[string]string{"expired": store.IncidentResolved, "open": store.IncidentFiring} {
		in := storetest.NewIncident(id, "r", now.Add(-48*time.Hour))
		in.State, in.UpdatedAt = state, now.Add(-25*time.Hour)
		require.NoError(t, s.PutIncident(ctx, in))
	}
	require.Eventually(t, func() bool {
		_, err := s.GetIncident(ctx, "expired")
		return err != nil
	}, 5*time.Second, 10*time.Millisecond)
	_, err := s.GetIncident(ctx, "open")
	require.NoError(t, err)
}

// TestMigratesFromVersion3 opens a file of schema 3, before incidents: the
// table is created and the data already there kept.
func TestMigratesFromVersion3(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigil.db")
	s := openAt(t, path, Options{})
	require.NoError(t, s.WriteResults(ctx, []result.Result{storetest.NewResult("r1", "shop", storetest.Base)}))
	_, err := s.writer.ExecContext(ctx, `DROP TABLE incidents; DELETE FROM schema_version WHERE version > 3`)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s = openAt(t, path, Options{})
	require.NoError(t, s.PutIncident(ctx, storetest.NewIncident("inc", "r", storetest.Base)))
	_, err = s.GetIncident(ctx, "inc")
	require.NoError(t, err)
	_, err = s.GetResult(ctx, "r1")
	require.NoError(t, err)
}

func incidentIDs(incidents []store.Incident) []string {
	ids := make([]string, len(incidents))
	for i, in := range incidents {
		ids[i] = in.ID
	}
	return ids
}
