package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
)

// shapedSpan returns a fixture span with the fields the filters look at.
func shapedSpan(id, service, kind, traceID string, ts time.Time) span.Span {
	sp := NewSpan(id, service, ts)
	sp.Span.Kind = kind
	sp.Trace.ID = traceID
	return sp
}

func testSpanListOrder(t *testing.T, s store.Store) {
	// Written out of order, over two batches, with a tie on @timestamp.
	writeSpans(t, s, NewSpan("c", "a", at(3)), NewSpan("a", "b", at(1)))
	writeSpans(t, s, NewSpan("e", "a", at(5)), NewSpan("b", "a", at(2)), NewSpan("d", "b", at(3)))

	got := listSpans(t, s, store.SpanQuery{})
	require.Equal(t, []string{"e", "d", "c", "b", "a"}, spanIDs(got), "newest first, ties by id descending")
}

func testSpanListFilters(t *testing.T, s store.Store) {
	const t1, t2 = "4bf92f3577b34da6a3ce929d0e0e4736", "0af7651916cd43dd8448eb211c80319c"
	writeSpans(t, s,
		shapedSpan("1", "shop", span.KindServer, t1, at(1)),
		shapedSpan("2", "shop", span.KindClient, t1, at(2)),
		shapedSpan("3", "api", span.KindServer, t1, at(3)),
		shapedSpan("4", "api", span.KindClient, t2, at(4)),
		shapedSpan("5", "shop", span.KindServer, t2, at(5)),
	)
	tests := []struct {
		name string
		q    store.SpanQuery
		want []string
	}{
		{"all", store.SpanQuery{}, []string{"5", "4", "3", "2", "1"}},
		{"service", store.SpanQuery{Service: "shop"}, []string{"5", "2", "1"}},
		{"kind", store.SpanQuery{Kind: span.KindClient}, []string{"4", "2"}},
		{"trace", store.SpanQuery{TraceID: t1}, []string{"3", "2", "1"}},
		{"since is inclusive", store.SpanQuery{Since: at(4)}, []string{"5", "4"}},
		{"until is exclusive", store.SpanQuery{Until: at(2)}, []string{"1"}},
		{"window", store.SpanQuery{Since: at(2), Until: at(4)}, []string{"3", "2"}},
		{"combined", store.SpanQuery{Service: "shop", Kind: span.KindServer, TraceID: t1}, []string{"1"}},
		{"since in another zone", store.SpanQuery{Since: at(4).In(time.FixedZone("X", 5*3600))}, []string{"5", "4"}},
		{"until a microsecond later", store.SpanQuery{Until: at(1).Add(time.Microsecond)}, []string{"1"}},
		{"no match", store.SpanQuery{Service: "nope"}, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, spanIDs(listSpans(t, s, tc.q)))
		})
	}
}

func testSpanListLimit(t *testing.T, s store.Store) {
	const n = 120
	batch := make([]span.Span, n)
	for i := range batch {
		batch[i] = NewSpan(fmt.Sprintf("s%03d", i), "shop", at(i))
	}
	writeSpans(t, s, batch...)

	all := listSpans(t, s, store.SpanQuery{})
	require.Len(t, all, 100, "the default limit is 100")
	require.Equal(t, "s119", all[0].ID)
	require.Equal(t, "s020", all[99].ID)

	require.Equal(t, []string{"s119", "s118", "s117"}, spanIDs(listSpans(t, s, store.SpanQuery{Limit: 3})))
	require.Len(t, listSpans(t, s, store.SpanQuery{Limit: 1000}), n)
}

// testSpanConcurrentWriters writes spans from several goroutines while others
// read, each batch overlapping the previous one of its writer (as a replayed
// spool does), then checks that every span is stored once.
func testSpanConcurrentWriters(t *testing.T, s store.Store) {
	const writers, batches, perBatch = 8, 5, 20
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers*batches)
	for w := range writers {
		service := fmt.Sprintf("svc%d", w)
		wg.Go(func() {
			for b := range batches {
				batch := make([]span.Span, perBatch)
				for i := range batch {
					n := b*perBatch/2 + i // half of each batch repeats the previous one
					batch[i] = NewSpan(fmt.Sprintf("w%d-%04d", w, n), service, at(n))
				}
				errs <- s.WriteSpans(ctx, batch)
			}
		})
		wg.Go(func() {
			for range batches {
				_, err := s.ListSpans(ctx, store.SpanQuery{Service: service})
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	distinct := (batches + 1) * perBatch / 2
	require.Len(t, listSpans(t, s, store.SpanQuery{Limit: 1000}), writers*distinct)
	require.Len(t, listSpans(t, s, store.SpanQuery{Service: "svc3", Limit: 1000}), distinct)
}
