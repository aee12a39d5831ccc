package activities

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/store"
)

// countingResults serves results from a slice and records the windows read.
type countingResults struct {
	store.ResultReader
	all   []result.Result
	reads []time.Time
}

func (c *countingResults) ListResults(_ context.Context, q store.ResultQuery) ([]result.Result, error) {
	c.reads = append(c.reads, q.Since)
	var out []result.Result
	for _, r := range c.all {
		if !r.Timestamp.Before(q.Since) {
			out = append(out, r)
		}
	}
	return out, nil
}

func TestResultWindowReadsOnlyWhatIsNew(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	st := &countingResults{all: []result.Result{
		{ID: "old", Timestamp: t0.Add(-50 * time.Minute)},
		{ID: "a", Timestamp: t0.Add(-time.Minute)},
	}}
	var w resultWindow
	got, err := w.results(context.Background(), st, t0, t0.Add(-time.Hour))
	require.NoError(t, err)
	require.Len(t, got, 2)

	// 10 s later: one new result, and one stored late with an older timestamp.
	now := t0.Add(10 * time.Second)
	st.all = append(st.all, result.Result{ID: "b", Timestamp: now.Add(-time.Second)}, result.Result{ID: "late", Timestamp: t0.Add(-90 * time.Second)})
	got, err = w.results(context.Background(), st, now, now.Add(-time.Hour))
	require.NoError(t, err)
	require.Len(t, got, 4, "held results, the new one and the late one")
	require.Equal(t, t0.Add(-lateMargin), st.reads[1], "the second read starts at the previous one, less the late margin")

	// The lookback moves past "old": it is dropped.
	now = t0.Add(11 * time.Minute)
	got, err = w.results(context.Background(), st, now, now.Add(-time.Hour))
	require.NoError(t, err)
	require.Len(t, got, 3)

	// A longer lookback than held (a new rule) reads everything again.
	_, err = w.results(context.Background(), st, now, now.Add(-2*time.Hour))
	require.NoError(t, err)
	require.Equal(t, now.Add(-2*time.Hour), st.reads[3])
}
