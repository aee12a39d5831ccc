// Package storetest is the contract every store backend passes. A backend's
// test calls Run with a constructor of fresh, empty stores:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openTempStore(t) })
//	}
//
// Beyond the interface comments in package store, the suite pins down:
// results and spans come back exactly as written (times included, to the
// microsecond), except Vigil.StoredAt, which the store sets at write time;
// ties on @timestamp are ordered by id, descending; a batch holding a result
// without an id, or a span that fails span.Validate, is rejected whole; reads
// see writes as soon as WriteResults or WriteSpans returns.
package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/store"
)

// Run runs every contract test, each on its own store from newStore. Run
// closes the stores it is given; newStore must not.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"WriteGetRoundTrip", testRoundTrip},
		{"RoundTripMinimal", testRoundTripMinimal},
		{"WriteIsIdempotentInOneBatch", testIdempotentInBatch},
		{"WriteIsIdempotentAcrossBatches", testIdempotentAcrossBatches},
		{"WriteRejectsMissingID", testRejectsMissingID},
		{"EmptyBatchIsNoop", testEmptyBatch},
		{"GetMissingIsNotFound", testGetMissing},
		{"ListNewestFirst", testListOrder},
		{"ListFilters", testListFilters},
		{"ListLimit", testListLimit},
		{"LatestResults", testLatest},
		{"Catalog", testCatalog},
		{"ConcurrentWriters", testConcurrentWriters},
		{"SpanWriteGetRoundTrip", testSpanRoundTrip},
		{"SpanRoundTripMinimal", testSpanRoundTripMinimal},
		{"SpanWriteIsIdempotentInOneBatch", testSpanIdempotentInBatch},
		{"SpanWriteIsIdempotentAcrossBatches", testSpanIdempotentAcrossBatches},
		{"SpanWriteRejectsInvalid", testSpanRejectsInvalid},
		{"SpanEmptyBatchIsNoop", testSpanEmptyBatch},
		{"SpanGetMissingIsNotFound", testSpanGetMissing},
		{"SpanListNewestFirst", testSpanListOrder},
		{"SpanListFilters", testSpanListFilters},
		{"SpanListLimit", testSpanListLimit},
		{"SpanConcurrentWriters", testSpanConcurrentWriters},
		{"IncidentPutGetRoundTrip", testIncidentRoundTrip},
		{"IncidentRoundTripMinimal", testIncidentRoundTripMinimal},
		{"IncidentPutReplaces", testIncidentUpsertReplaces},
		{"IncidentOlderWriteIsIgnored", testIncidentOlderWriteIgnored},
		{"IncidentGetMissingIsNotFound", testIncidentGetMissing},
		{"IncidentPutRejectsInvalid", testIncidentRejectsInvalid},
		{"IncidentListNewestFirst", testIncidentListOrder},
		{"IncidentListFilters", testIncidentListFilters},
		{"IncidentListLimit", testIncidentListLimit},
		{"IncidentConcurrentWriters", testIncidentConcurrentWriters},
		{"TraceWriteGetRoundTrip", testTraceRoundTrip},
		{"TraceWriteReplacesAndDeletes", testTraceWriteReplaces},
		{"TraceGetMissingIsNotFound", testTraceGetMissing},
		{"TraceListFilters", testTraceListFilters},
		{"SpanLinkSetsLinksOnly", testSpanLink},
		{"SpansStoredAfterCursor", testSpansStoredAfter},
		{"TraceWatermarkNeverGoesBack", testTraceWatermark},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			t.Cleanup(func() { require.NoError(t, s.Close()) })
			tc.fn(t, s)
		})
	}
}

// write stores the results in one batch and fails the test on error.
func write(t *testing.T, s store.Store, results ...result.Result) {
	t.Helper()
	require.NoError(t, s.WriteResults(context.Background(), results))
}

// list runs q and fails the test on error.
func list(t *testing.T, s store.Store, q store.ResultQuery) []result.Result {
	t.Helper()
	got, err := s.ListResults(context.Background(), q)
	require.NoError(t, err)
	return got
}

func ids(results []result.Result) []string {
	out := make([]string, len(results))
	for i, r := range results {
		out[i] = r.ID
	}
	return out
}
