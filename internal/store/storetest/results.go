package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/store"
)

func testRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	want := NewResult("run-1", "shop", Base)
	batch := []result.Result{want}

	before := time.Now()
	write(t, s, batch...)
	after := time.Now()
	require.Nil(t, batch[0].Vigil.StoredAt, "WriteResults must not modify the caller's results")

	got, err := s.GetResult(ctx, want.ID)
	require.NoError(t, err)
	requireStoredAt(t, got, before, after)
	want.Vigil.StoredAt = got.Vigil.StoredAt
	require.Equal(t, want, got)
}

// testRoundTripMinimal checks an up result with the optional groups unset.
func testRoundTripMinimal(t *testing.T, s store.Store) {
	want := result.Result{
		ID:        "minimal",
		Timestamp: Base,
		Monitor:   result.Monitor{ID: "ping", Type: "tcp", Status: result.StatusUp},
		Observer:  result.Observer{Name: "local"},
		Summary:   result.Summary{Up: 1},
		Vigil:     result.Vigil{Attempt: 1, StartedAt: Base.Add(-time.Second), FinishedAt: Base},
	}
	write(t, s, want)

	got, err := s.GetResult(context.Background(), want.ID)
	require.NoError(t, err)
	require.NotNil(t, got.Vigil.StoredAt)
	want.Vigil.StoredAt = got.Vigil.StoredAt
	require.Equal(t, want, got)
}

// requireStoredAt checks that the store stamped the result while it was
// being written (with a second of slack for a backend's own clock).
func requireStoredAt(t *testing.T, r result.Result, before, after time.Time) {
	t.Helper()
	require.NotNil(t, r.Vigil.StoredAt, "the store sets vigil.stored_at")
	require.WithinRange(t, *r.Vigil.StoredAt, before.Add(-time.Second), after.Add(time.Second))
}

func testIdempotentInBatch(t *testing.T, s store.Store) {
	first := NewResult("dup", "shop", Base)
	second := first
	second.Monitor.Name = "second write"
	write(t, s, first, second)

	got := list(t, s, store.ResultQuery{})
	require.Len(t, got, 1)
	require.Equal(t, first.Monitor.Name, got[0].Monitor.Name, "the first write wins")
}

func testIdempotentAcrossBatches(t *testing.T, s store.Store) {
	ctx := context.Background()
	first := NewResult("dup", "shop", Base)
	write(t, s, first)
	stored, err := s.GetResult(ctx, first.ID)
	require.NoError(t, err)

	again := first
	again.Monitor.Name = "second write"
	other := NewResult("other", "shop", Base.Add(time.Second))
	write(t, s, again, other)

	got, err := s.GetResult(ctx, first.ID)
	require.NoError(t, err)
	require.Equal(t, stored, got, "the first write wins, stored_at included")
	require.ElementsMatch(t, []string{"dup", "other"}, ids(list(t, s, store.ResultQuery{})))
}

func testRejectsMissingID(t *testing.T, s store.Store) {
	valid := NewResult("valid", "shop", Base)
	noID := NewResult("", "shop", Base)
	require.Error(t, s.WriteResults(context.Background(), []result.Result{valid, noID}))
	require.Empty(t, list(t, s, store.ResultQuery{}), "a rejected batch stores nothing")
}

func testEmptyBatch(t *testing.T, s store.Store) {
	ctx := context.Background()
	require.NoError(t, s.WriteResults(ctx, nil))
	require.NoError(t, s.WriteResults(ctx, []result.Result{}))
	require.Empty(t, list(t, s, store.ResultQuery{}))
}

func testGetMissing(t *testing.T, s store.Store) {
	write(t, s, NewResult("present", "shop", Base))
	_, err := s.GetResult(context.Background(), "absent")
	require.ErrorIs(t, err, store.ErrNotFound)
}
