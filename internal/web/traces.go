package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
)

// Traces reads assembled traces and their spans.
type Traces interface {
	GetTrace(ctx context.Context, id string) (store.Trace, error)
	ListTraces(ctx context.Context, q store.TraceQuery) ([]store.Trace, error)
	ListSpans(ctx context.Context, q store.SpanQuery) ([]span.Span, error)
}

// maxTraceSpans bounds the spans GET /api/traces/{id} returns.
const maxTraceSpans = 10_000

// listTraces serves GET /api/traces?service=&since=&limit=, newest first;
// since is an RFC 3339 time or a duration back from now ("15m").
func (s *server) listTraces(w http.ResponseWriter, r *http.Request) {
	q := store.TraceQuery{Service: r.URL.Query().Get("service")}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, http.StatusBadRequest, "limit must be a number between 1 and 1000")
			return
		}
		q.Limit = n
	}
	if v := r.URL.Query().Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			d, derr := time.ParseDuration(v)
			if derr != nil || d <= 0 {
				writeError(w, http.StatusBadRequest, "since must be an RFC 3339 time or a positive duration (15m)")
				return
			}
			t = time.Now().Add(-d)
		}
		q.Since = t
	}
	if s.d.Traces == nil {
		s.fail(w, "listing traces", errNoStore)
		return
	}
	list, err := s.d.Traces.ListTraces(r.Context(), q)
	if err != nil {
		s.fail(w, "listing traces", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"traces": list})
}

// getTrace serves GET /api/traces/{id}: the trace and its spans.
func (s *server) getTrace(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if s.d.Traces == nil {
		s.fail(w, "reading trace", errNoStore)
		return
	}
	tr, err := s.d.Traces.GetTrace(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no assembled trace "+id)
		return
	}
	if err != nil {
		s.fail(w, "reading trace", err)
		return
	}
	spans, err := s.d.Traces.ListSpans(r.Context(), store.SpanQuery{TraceID: id, Since: tr.Start,
		Until: tr.Start.Add(tr.Duration() + time.Microsecond), Limit: maxTraceSpans})
	if err != nil {
		s.fail(w, "reading the spans of trace", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"trace": tr, "spans": spans})
}
