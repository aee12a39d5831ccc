package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/store"
)

// testIncidentRoundTrip stores an incident with every field set and reads it
// back unchanged.
func testIncidentRoundTrip(t *testing.T, s store.Store) {
	want := resolved(acknowledged(NewIncident("vigil-incident/checkout-down/ab12cd", "checkout-down", Base), "alice", time.Minute), "bob", time.Hour)
	want.Notifications = 3
	require.NotNil(t, want.AckedAt)
	require.NotNil(t, want.ResolvedAt)
	putIncident(t, s, want)

	require.Equal(t, want, getIncident(t, s, want.ID))
	require.Equal(t, []store.Incident{want}, listIncidents(t, s, store.IncidentQuery{}))
}

// testIncidentRoundTripMinimal checks an incident with only the required
// fields: the optional ones come back unset, not empty.
func testIncidentRoundTripMinimal(t *testing.T, s store.Store) {
	want := store.Incident{ID: "minimal", Rule: "r", Key: "r/", State: store.IncidentFiring, StartedAt: Base, UpdatedAt: Base}
	putIncident(t, s, want)
	require.Equal(t, want, getIncident(t, s, want.ID))
}

// testIncidentUpsertReplaces follows an incident through its lifecycle: each
// write replaces the whole document, and the filters see the new state.
func testIncidentUpsertReplaces(t *testing.T, s store.Store) {
	firing := NewIncident("inc", "checkout-down", Base)
	putIncident(t, s, firing)

	acked := acknowledged(firing, "alice", time.Minute)
	acked.Summary = "checkout down in eu-west and us-east"
	acked.Value = 0.5
	acked.Notifications = 2
	acked.Labels = map[string]string{"monitor": "checkout"}
	acked.Evidence = nil
	acked.RunID = "run-2" // continued as new
	putIncident(t, s, acked)
	require.Equal(t, acked, getIncident(t, s, "inc"), "the second write replaces the first, fields removed included")
	require.Equal(t, []string{"inc"}, incidentIDs(listIncidents(t, s, store.IncidentQuery{State: store.IncidentAcknowledged})))
	require.Empty(t, listIncidents(t, s, store.IncidentQuery{State: store.IncidentFiring}))

	done := resolved(acked, "", time.Minute)
	putIncident(t, s, done)
	require.Equal(t, done, getIncident(t, s, "inc"))
	require.Empty(t, listIncidents(t, s, store.IncidentQuery{Open: true}))
	require.Len(t, listIncidents(t, s, store.IncidentQuery{}), 1, "one incident per id")

	again := done
	again.Notifications++
	putIncident(t, s, again)
	require.Equal(t, again, getIncident(t, s, "inc"), "a write with the same updated_at replaces the stored one")
}

// testIncidentOlderWriteIgnored delivers writes late, as a retried activity
// may: an incident never goes back to an earlier state.
func testIncidentOlderWriteIgnored(t *testing.T, s store.Store) {
	firing := NewIncident("inc", "checkout-down", Base)
	acked := acknowledged(firing, "alice", time.Minute)
	done := resolved(acked, "bob", time.Minute)
	putIncident(t, s, done)

	putIncident(t, s, acked)  // late: no error...
	putIncident(t, s, firing) // ...and no effect
	late := done
	late.UpdatedAt = done.UpdatedAt.Add(-time.Microsecond)
	late.Summary = "a microsecond older"
	putIncident(t, s, late)

	require.Equal(t, done, getIncident(t, s, "inc"))
	require.Empty(t, listIncidents(t, s, store.IncidentQuery{Open: true}), "the filters see the newest state too")
	require.Empty(t, listIncidents(t, s, store.IncidentQuery{State: store.IncidentFiring}))
	require.Equal(t, []string{"inc"}, incidentIDs(listIncidents(t, s, store.IncidentQuery{State: store.IncidentResolved})))
}

func testIncidentGetMissing(t *testing.T, s store.Store) {
	putIncident(t, s, NewIncident("present", "r", Base))
	_, err := s.GetIncident(context.Background(), "absent")
	require.ErrorIs(t, err, store.ErrNotFound)
}

// testIncidentRejectsInvalid checks that an incident missing a required
// field is rejected with an error naming it and the field, and that nothing
// is stored.
func testIncidentRejectsInvalid(t *testing.T, s store.Store) {
	tests := []struct {
		name  string
		field string // in the error
		spoil func(*store.Incident)
	}{
		{"no id", "id", func(in *store.Incident) { in.ID = "" }},
		{"no rule", "rule", func(in *store.Incident) { in.Rule = "" }},
		{"no key", "key", func(in *store.Incident) { in.Key = "" }},
		{"no state", "state", func(in *store.Incident) { in.State = "" }},
		{"unknown state", "state", func(in *store.Incident) { in.State = "sleeping" }},
		{"no started_at", "started_at", func(in *store.Incident) { in.StartedAt = time.Time{} }},
		{"no updated_at", "updated_at", func(in *store.Incident) { in.UpdatedAt = time.Time{} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			invalid := NewIncident("invalid-incident", "checkout-down", Base)
			tc.spoil(&invalid)
			err := s.PutIncident(context.Background(), invalid)
			require.Error(t, err)
			require.ErrorContains(t, err, tc.field)
			if invalid.ID != "" {
				require.ErrorContains(t, err, invalid.ID)
			} else {
				require.ErrorContains(t, err, invalid.Rule, "an incident without id is named by its rule")
			}
			require.Empty(t, listIncidents(t, s, store.IncidentQuery{}), "a rejected incident is not stored")
		})
	}
}

func testIncidentListOrder(t *testing.T, s store.Store) {
	// Written out of order, with a tie on StartedAt; UpdatedAt does not count.
	for _, in := range []store.Incident{
		NewIncident("c", "r", at(3)), NewIncident("a", "r", at(1)), NewIncident("e", "r", at(5)),
		NewIncident("b", "r", at(2)), NewIncident("d", "r", at(3)),
	} {
		in.UpdatedAt = at(10).Add(-in.StartedAt.Sub(Base))
		putIncident(t, s, in)
	}
	got := listIncidents(t, s, store.IncidentQuery{})
	require.Equal(t, []string{"e", "d", "c", "b", "a"}, incidentIDs(got), "newest started_at first, ties by id descending")
}

func testIncidentListFilters(t *testing.T, s store.Store) {
	shaped := func(id, rule string, started time.Time, state string) store.Incident {
		in := NewIncident(id, rule, started)
		switch state {
		case store.IncidentAcknowledged:
			in = acknowledged(in, "alice", time.Minute)
		case store.IncidentResolved:
			in = resolved(in, "", time.Minute)
		}
		return in
	}
	for _, in := range []store.Incident{
		shaped("1", "shop", at(1), store.IncidentResolved),
		shaped("2", "shop", at(2), store.IncidentAcknowledged),
		shaped("3", "api", at(3), store.IncidentFiring),
		shaped("4", "api", at(4), store.IncidentResolved),
		shaped("5", "shop", at(5), store.IncidentFiring),
	} {
		putIncident(t, s, in)
	}
	tests := []struct {
		name string
		q    store.IncidentQuery
		want []string
	}{
		{"all", store.IncidentQuery{}, []string{"5", "4", "3", "2", "1"}},
		{"firing", store.IncidentQuery{State: store.IncidentFiring}, []string{"5", "3"}},
		{"acknowledged", store.IncidentQuery{State: store.IncidentAcknowledged}, []string{"2"}},
		{"resolved", store.IncidentQuery{State: store.IncidentResolved}, []string{"4", "1"}},
		{"open", store.IncidentQuery{Open: true}, []string{"5", "3", "2"}},
		{"rule", store.IncidentQuery{Rule: "shop"}, []string{"5", "2", "1"}},
		{"since is inclusive", store.IncidentQuery{Since: at(4)}, []string{"5", "4"}},
		{"since in another zone", store.IncidentQuery{Since: at(4).In(time.FixedZone("X", 5*3600))}, []string{"5", "4"}},
		{"open rule", store.IncidentQuery{Rule: "shop", Open: true}, []string{"5", "2"}},
		{"open since", store.IncidentQuery{Open: true, Since: at(3)}, []string{"5", "3"}},
		{"state and rule", store.IncidentQuery{State: store.IncidentResolved, Rule: "api"}, []string{"4"}},
		{"open and resolved", store.IncidentQuery{Open: true, State: store.IncidentResolved}, []string{}},
		{"no match", store.IncidentQuery{Rule: "nope"}, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := listIncidents(t, s, tc.q)
			require.NotNil(t, got, "an empty slice, not nil")
			require.Equal(t, tc.want, incidentIDs(got))
		})
	}
}

func testIncidentListLimit(t *testing.T, s store.Store) {
	const n = 120
	for i := range n {
		putIncident(t, s, NewIncident(fmt.Sprintf("i%03d", i), "r", at(i)))
	}
	all := listIncidents(t, s, store.IncidentQuery{})
	require.Len(t, all, 100, "the default limit is 100")
	require.Equal(t, "i119", all[0].ID)
	require.Equal(t, "i020", all[99].ID)

	require.Equal(t, []string{"i119", "i118", "i117"}, incidentIDs(listIncidents(t, s, store.IncidentQuery{Limit: 3})))
	require.Equal(t, []string{"i119", "i118"}, incidentIDs(listIncidents(t, s, store.IncidentQuery{Open: true, Limit: 2})))
	require.Len(t, listIncidents(t, s, store.IncidentQuery{Limit: 1000}), n)
}

// testIncidentConcurrentWriters runs the lifecycles of distinct incidents
// from several goroutines, with late writes mixed in, while others read;
// every incident ends resolved.
func testIncidentConcurrentWriters(t *testing.T, s store.Store) {
	const writers, perWriter = 8, 5
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, writers*perWriter*4+writers)
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				firing := NewIncident(fmt.Sprintf("w%d-%d", w, i), fmt.Sprintf("rule-%d", w), at(w*perWriter+i))
				acked := acknowledged(firing, "alice", time.Minute)
				for _, in := range []store.Incident{firing, acked, resolved(acked, "", time.Minute), firing} {
					errs <- s.PutIncident(ctx, in)
				}
			}
		})
		wg.Go(func() {
			_, err := s.ListIncidents(ctx, store.IncidentQuery{Rule: fmt.Sprintf("rule-%d", w), Open: true})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	got := listIncidents(t, s, store.IncidentQuery{Limit: 1000})
	require.Len(t, got, writers*perWriter)
	for _, in := range got {
		require.Equal(t, store.IncidentResolved, in.State, in.ID)
	}
	require.Empty(t, listIncidents(t, s, store.IncidentQuery{Open: true}))
}

// putIncident stores the incident and fails the test on error.
func putIncident(t *testing.T, s store.Store, in store.Incident) {
	t.Helper()
	require.NoError(t, s.PutIncident(context.Background(), in))
}

func getIncident(t *testing.T, s store.Store, id string) store.Incident {
	t.Helper()
	got, err := s.GetIncident(context.Background(), id)
	require.NoError(t, err)
	return got
}

// listIncidents runs q and fails the test on error.
func listIncidents(t *testing.T, s store.Store, q store.IncidentQuery) []store.Incident {
	t.Helper()
	got, err := s.ListIncidents(context.Background(), q)
	require.NoError(t, err)
	return got
}

func incidentIDs(incidents []store.Incident) []string {
	out := make([]string, len(incidents))
	for i, in := range incidents {
		out[i] = in.ID
	}
	return out
}
