package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/store"
)

// testConcurrentWriters writes distinct results from several goroutines while
// others read, then checks that every result is stored.
func testConcurrentWriters(t *testing.T, s store.Store) {
	const writers, batches, perBatch = 8, 5, 5
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, writers*batches+writers)
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				batch := make([]result.Result, perBatch)
				for i := range batch {
					n := (w*batches+b)*perBatch + i
					batch[i] = NewResult(fmt.Sprintf("w%d-%04d", w, n), fmt.Sprintf("m%d", w), at(n))
				}
				errs <- s.WriteResults(ctx, batch)
			}
		})
		wg.Go(func() {
			_, err := s.ListResults(ctx, store.ResultQuery{MonitorID: fmt.Sprintf("m%d", w)})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	got := list(t, s, store.ResultQuery{Limit: 1000})
	require.Len(t, got, writers*batches*perBatch)
	latest, err := s.LatestResults(ctx)
	require.NoError(t, err)
	require.Len(t, latest, writers)
}
