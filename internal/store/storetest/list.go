package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/store"
)

// at is Base plus n minutes.
func at(n int) time.Time { return Base.Add(time.Duration(n) * time.Minute) }

// shaped returns a fixture result with the fields the filters look at.
func shaped(id, monitorID, status, location string, ts time.Time) result.Result {
	r := NewResult(id, monitorID, ts)
	r.Monitor.Status = status
	r.Observer.Name = location
	return r
}

func testListOrder(t *testing.T, s store.Store) {
	// Written out of order, over two batches, with a tie on @timestamp.
	write(t, s, NewResult("c", "a", at(3)), NewResult("a", "b", at(1)))
	write(t, s, NewResult("e", "a", at(5)), NewResult("b", "a", at(2)), NewResult("d", "b", at(3)))

	got := list(t, s, store.ResultQuery{})
	require.Equal(t, []string{"e", "d", "c", "b", "a"}, ids(got), "newest first, ties by id descending")
}

func testListFilters(t *testing.T, s store.Store) {
	write(t, s,
		shaped("1", "shop", result.StatusUp, "eu", at(1)),
		shaped("2", "shop", result.StatusDown, "us", at(2)),
		shaped("3", "api", result.StatusUp, "eu", at(3)),
		shaped("4", "api", result.StatusDown, "eu", at(4)),
		shaped("5", "shop", result.StatusUp, "us", at(5)),
	)
	tests := []struct {
		name string
		q    store.ResultQuery
		want []string
	}{
		{"all", store.ResultQuery{}, []string{"5", "4", "3", "2", "1"}},
		{"monitor", store.ResultQuery{MonitorID: "shop"}, []string{"5", "2", "1"}},
		{"status", store.ResultQuery{Status: result.StatusDown}, []string{"4", "2"}},
		{"location", store.ResultQuery{Location: "us"}, []string{"5", "2"}},
		{"since is inclusive", store.ResultQuery{Since: at(4)}, []string{"5", "4"}},
		{"until is exclusive", store.ResultQuery{Until: at(2)}, []string{"1"}},
		{"window", store.ResultQuery{Since: at(2), Until: at(4)}, []string{"3", "2"}},
		{"combined", store.ResultQuery{MonitorID: "shop", Status: result.StatusUp, Location: "eu"}, []string{"1"}},
		{"since in another zone", store.ResultQuery{Since: at(4).In(time.FixedZone("X", 5*3600))}, []string{"5", "4"}},
		{"no match", store.ResultQuery{MonitorID: "nope"}, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, ids(list(t, s, tc.q)))
		})
	}
}

func testListLimit(t *testing.T, s store.Store) {
	const n = 120
	batch := make([]result.Result, n)
	for i := range batch {
		batch[i] = NewResult(fmt.Sprintf("r%03d", i), "shop", at(i))
	}
	write(t, s, batch...)

	all := list(t, s, store.ResultQuery{})
	require.Len(t, all, 100, "the default limit is 100")
	require.Equal(t, "r119", all[0].ID)
	require.Equal(t, "r020", all[99].ID)

	require.Equal(t, []string{"r119", "r118", "r117"}, ids(list(t, s, store.ResultQuery{Limit: 3})))
	require.Len(t, list(t, s, store.ResultQuery{Limit: 1000}), n)
}

func testLatest(t *testing.T, s store.Store) {
	ctx := context.Background()
	latest, err := s.LatestResults(ctx)
	require.NoError(t, err)
	require.Empty(t, latest)

	write(t, s,
		NewResult("shop-2", "shop", at(2)),
		NewResult("api-9", "api", at(9)),
		NewResult("shop-5", "shop", at(5)),
		NewResult("db-1", "db", at(1)),
	)
	write(t, s, NewResult("api-3", "api", at(3)), NewResult("shop-4", "shop", at(4)))

	latest, err = s.LatestResults(ctx)
	require.NoError(t, err)
	got := map[string]string{}
	for monitorID, r := range latest {
		require.Equal(t, monitorID, r.Monitor.ID)
		got[monitorID] = r.ID
	}
	require.Equal(t, map[string]string{"shop": "shop-5", "api": "api-9", "db": "db-1"}, got)
}
