package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/store/storetest"
)

// minimal is a small result, for tests that need many.
func minimal(id string, ts time.Time) result.Result {
	return result.Result{ID: id, Timestamp: ts, Monitor: result.Monitor{ID: "shop", Status: result.StatusUp}}
}

func TestPrune(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "vigil.db"), Options{})
	s.pruneChunk = 10
	// More old results than one delete chunk, to cross chunk boundaries.
	old := make([]result.Result, 2*s.pruneChunk+7)
	for i := range old {
		old[i] = minimal(fmt.Sprintf("old-%05d", i), storetest.Base.Add(-time.Duration(i+1)*time.Second))
	}
	require.NoError(t, s.WriteResults(ctx, old))
	require.NoError(t, s.WriteResults(ctx, []result.Result{
		minimal("at-cutoff", storetest.Base),
		minimal("new", storetest.Base.Add(time.Hour)),
	}))

	n, err := s.Prune(ctx, storetest.Base)
	require.NoError(t, err)
	require.Equal(t, int64(len(old)), n)
	got, err := s.ListResults(ctx, store.ResultQuery{Limit: 1000})
	require.NoError(t, err)
	require.Equal(t, []string{"new", "at-cutoff"}, resultIDs(got))

	n, err = s.Prune(ctx, storetest.Base)
	require.NoError(t, err)
	require.Zero(t, n, "nothing left to prune")
}

func TestPruneSpans(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "vigil.db"), Options{})
	s.pruneChunk = 10
	old := make([]span.Span, 2*s.pruneChunk+7)
	for i := range old {
		old[i] = storetest.NewSpan(fmt.Sprintf("old-%05d", i), "shop", storetest.Base.Add(-time.Duration(i+1)*time.Microsecond))
	}
	require.NoError(t, s.WriteSpans(ctx, old))
	require.NoError(t, s.WriteSpans(ctx, []span.Span{
		storetest.NewSpan("at-cutoff", "shop", storetest.Base),
		storetest.NewSpan("new", "shop", storetest.Base.Add(time.Hour)),
	}))
	require.NoError(t, s.WriteResults(ctx, []result.Result{
		minimal("old-result", storetest.Base.Add(-time.Second)),
		minimal("new-result", storetest.Base),
	}))

	n, err := s.Prune(ctx, storetest.Base)
	require.NoError(t, err)
	require.Equal(t, int64(len(old)+1), n, "the old spans and the old result")
	got, err := s.ListSpans(ctx, store.SpanQuery{Limit: 1000})
	require.NoError(t, err)
	require.Equal(t, []string{"new", "at-cutoff"}, spanIDs(got))
	results, err := s.ListResults(ctx, store.ResultQuery{})
	require.NoError(t, err)
	require.Equal(t, []string{"new-result"}, resultIDs(results))
}

func TestRetentionPrunesInBackground(t *testing.T) {
	ctx := context.Background()
	now := storetest.Base
	s := openAt(t, filepath.Join(t.TempDir(), "vigil.db"), Options{
		Retention:     24 * time.Hour,
		PruneInterval: 10 * time.Millisecond,
		Now:           func() time.Time { return now }, // read-only: no race
	})
	require.NoError(t, s.WriteResults(ctx, []result.Result{
		minimal("expired", now.Add(-25*time.Hour)),
		minimal("kept", now.Add(-23*time.Hour)),
	}))

	require.NoError(t, s.WriteSpans(ctx, []span.Span{
		storetest.NewSpan("expired-span", "shop", now.Add(-25*time.Hour)),
		storetest.NewSpan("kept-span", "shop", now.Add(-23*time.Hour)),
	}))

	require.Eventually(t, func() bool {
		_, errResult := s.GetResult(ctx, "expired")
		_, errSpan := s.GetSpan(ctx, "expired-span")
		return errResult != nil && errSpan != nil
	}, 5*time.Second, 10*time.Millisecond)
	_, err := s.GetResult(ctx, "kept")
	require.NoError(t, err)
	_, err = s.GetSpan(ctx, "kept-span")
	require.NoError(t, err)
}

// TestPruneSpansInsideBlock prunes a cutoff that falls between two spans of
// one block: the expired one goes, the other stays findable every way.
func TestPruneSpansInsideBlock(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "vigil.db"), Options{})
	expired := storetest.NewSpan("expired", "shop", storetest.Base.Add(-time.Microsecond))
	kept := storetest.NewSpan("kept", "cart", storetest.Base)
	require.NoError(t, s.WriteSpans(ctx, []span.Span{expired, kept}))

	n, err := s.Prune(ctx, storetest.Base)
	require.NoError(t, err)
	require.Equal(t, int64(1), n)
	_, err = s.GetSpan(ctx, "expired")
	require.ErrorIs(t, err, store.ErrNotFound)
	got, err := s.GetSpan(ctx, "kept")
	require.NoError(t, err)
	require.Equal(t, "kept", got.ID)
	for _, q := range []store.SpanQuery{{}, {Service: "cart"}, {TraceID: kept.Trace.ID}} {
		list, err := s.ListSpans(ctx, q)
		require.NoError(t, err)
		require.Equal(t, []string{"kept"}, spanIDs(list), "%+v", q)
	}
	list, err := s.ListSpans(ctx, store.SpanQuery{Service: "shop"})
	require.NoError(t, err)
	require.Empty(t, list)
}
