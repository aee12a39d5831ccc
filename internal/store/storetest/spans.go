package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
)

func testSpanRoundTrip(t *testing.T, s store.Store) {
	want := NewSpan("span-1", "checkout", Base)
	batch := []span.Span{want}

	before := time.Now()
	writeSpans(t, s, batch...)
	after := time.Now()
	require.Nil(t, batch[0].Vigil.StoredAt, "WriteSpans must not modify the caller's spans")

	got := getSpan(t, s, want.ID)
	require.NotNil(t, got.Vigil.StoredAt, "the store sets vigil.stored_at")
	require.WithinRange(t, *got.Vigil.StoredAt, before.Add(-time.Second), after.Add(time.Second))
	want.Vigil.StoredAt = got.Vigil.StoredAt
	require.Equal(t, want, got)
}

// testSpanRoundTripMinimal checks a client span with the optional groups
// unset: they come back unset, not empty.
func testSpanRoundTripMinimal(t *testing.T, s store.Store) {
	want := span.Span{
		ID:        "minimal",
		Timestamp: Base,
		Trace:     span.Trace{ID: "0af7651916cd43dd8448eb211c80319c"},
		Span:      span.Info{ID: "b7ad6b7169203331", Kind: span.KindClient, Duration: span.Micros{US: 1}},
		Service:   span.Service{Name: "curl"},
		Event:     span.Event{Outcome: span.OutcomeUnknown},
		Vigil:     span.Vigil{Source: span.SourceEBPF, Incomplete: true, Reason: "joined mid-way"},
	}
	writeSpans(t, s, want)

	got := getSpan(t, s, want.ID)
	require.NotNil(t, got.Vigil.StoredAt)
	want.Vigil.StoredAt = got.Vigil.StoredAt
	require.Equal(t, want, got)
}

func testSpanIdempotentInBatch(t *testing.T, s store.Store) {
	first := NewSpan("dup", "checkout", Base)
	second := first
	second.Span.Name = "second write"
	writeSpans(t, s, first, second)

	got := listSpans(t, s, store.SpanQuery{})
	require.Len(t, got, 1)
	require.Equal(t, first.Span.Name, got[0].Span.Name, "the first write wins")
}

func testSpanIdempotentAcrossBatches(t *testing.T, s store.Store) {
	first := NewSpan("dup", "checkout", Base)
	writeSpans(t, s, first)
	stored := getSpan(t, s, first.ID)

	again := first
	again.Span.Name = "second write"
	other := NewSpan("other", "checkout", Base.Add(time.Second))
	writeSpans(t, s, again, other)

	require.Equal(t, stored, getSpan(t, s, first.ID), "the first write wins, stored_at included")
	require.ElementsMatch(t, []string{"dup", "other"}, spanIDs(listSpans(t, s, store.SpanQuery{})))
}

// testSpanRejectsInvalid checks that a batch holding a span that fails
// span.Validate is rejected whole, with an error that names the span.
func testSpanRejectsInvalid(t *testing.T, s store.Store) {
	tests := []struct {
		name  string
		spoil func(*span.Span)
	}{
		{"no id", func(sp *span.Span) { sp.ID = "" }},
		{"no timestamp", func(sp *span.Span) { sp.Timestamp = time.Time{} }},
		{"no service", func(sp *span.Span) { sp.Service.Name = "" }},
		{"unknown kind", func(sp *span.Span) { sp.Span.Kind = "sideways" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			invalid := NewSpan("invalid-span", "checkout", Base)
			tc.spoil(&invalid)
			batch := []span.Span{NewSpan("valid", "checkout", Base), invalid}
			err := s.WriteSpans(context.Background(), batch)
			require.Error(t, err)
			if invalid.ID != "" {
				require.ErrorContains(t, err, invalid.ID)
			}
			require.Empty(t, listSpans(t, s, store.SpanQuery{}), "a rejected batch stores nothing")
		})
	}
}

func testSpanEmptyBatch(t *testing.T, s store.Store) {
	ctx := context.Background()
	require.NoError(t, s.WriteSpans(ctx, nil))
	require.NoError(t, s.WriteSpans(ctx, []span.Span{}))
	require.Empty(t, listSpans(t, s, store.SpanQuery{}))
}

func testSpanGetMissing(t *testing.T, s store.Store) {
	writeSpans(t, s, NewSpan("present", "checkout", Base))
	_, err := s.GetSpan(context.Background(), "absent")
	require.ErrorIs(t, err, store.ErrNotFound)
}

// writeSpans stores the spans in one batch and fails the test on error.
func writeSpans(t *testing.T, s store.Store, spans ...span.Span) {
	t.Helper()
	require.NoError(t, s.WriteSpans(context.Background(), spans))
}

func getSpan(t *testing.T, s store.Store, id string) span.Span {
	t.Helper()
	got, err := s.GetSpan(context.Background(), id)
	require.NoError(t, err)
	return got
}

// listSpans runs q and fails the test on error.
func listSpans(t *testing.T, s store.Store, q store.SpanQuery) []span.Span {
	t.Helper()
	got, err := s.ListSpans(context.Background(), q)
	require.NoError(t, err)
	return got
}

func spanIDs(spans []span.Span) []string {
	out := make([]string, len(spans))
	for i, sp := range spans {
		out[i] = sp.ID
	}
	return out
}
