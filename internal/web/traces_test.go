package web_test

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/store/sqlite"
	"github.com/vigil-dev/vigil/internal/store/storetest"
	"github.com/vigil-dev/vigil/internal/web"
)

func TestTracesAPI(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	now := time.Now().UTC().Truncate(time.Second)
	client, server := storetest.NewCall("c1", "frontend", "checkout", 1, now.Add(-time.Minute), 100*time.Millisecond)
	require.NoError(t, st.WriteSpans(ctx, []span.Span{client, server}))
	require.NoError(t, st.LinkSpans(ctx, []store.SpanLink{{SpanID: server.ID, Timestamp: server.Timestamp,
		TraceID: client.Trace.ID, ParentID: client.Span.ID, How: "4-tuple", Confidence: 1}}))
	linked := storetest.NewTrace(client.Trace.ID, client.Timestamp, "frontend", "checkout")
	old := storetest.NewTrace("old", now.Add(-time.Hour), "billing")
	require.NoError(t, st.WriteTraces(ctx, []store.Trace{linked, old}, nil))
	h := web.Handler(web.Deps{Traces: st})

	list := func(query string) []string {
		t.Helper()
		rec := get(t, h, "/api/traces"+query)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		var body struct{ Traces []store.Trace }
		decode(t, rec, &body)
		ids := []string{}
		for _, tr := range body.Traces {
			ids = append(ids, tr.ID)
		}
		return ids
	}
	cases := []struct {
		name, query string
		want        []string
	}{
		{"all, newest first", "", []string{client.Trace.ID, "old"}},
		{"service", "?service=billing", []string{"old"}},
		{"since as a duration", "?since=10m", []string{client.Trace.ID}},
		{"since as a time", "?since=" + now.Add(-2*time.Hour).Format(time.RFC3339), []string{client.Trace.ID, "old"}},
		{"limit", "?limit=1", []string{client.Trace.ID}},
		{"none", "?service=nope", []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { require.Equal(t, tc.want, list(tc.query)) })
	}

	rec := get(t, h, "/api/traces/"+client.Trace.ID)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var one struct {
		Trace store.Trace
		Spans []span.Span
	}
	decode(t, rec, &one)
	require.Equal(t, linked, one.Trace)
	require.Len(t, one.Spans, 2, "the trace's spans, the linked server span included")

	for _, bad := range []struct{ target, want string }{
		{"/api/traces?limit=0", "limit"},
		{"/api/traces?since=yesterday", "since"},
	} {
		rec := get(t, h, bad.target)
		require.Equal(t, http.StatusBadRequest, rec.Code)
		require.Contains(t, errorOf(t, rec), bad.want)
	}
	rec = get(t, h, "/api/traces/unknown")
	require.Equal(t, http.StatusNotFound, rec.Code)
	require.Contains(t, errorOf(t, rec), "no assembled trace")

	rec = get(t, web.Handler(web.Deps{}), "/api/traces")
	require.Equal(t, http.StatusServiceUnavailable, rec.Code, "a node without a store")
}
