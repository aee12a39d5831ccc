// Package web serves vigil's HTTP API: health, Prometheus metrics, monitors
// and their runs. Handlers read through small interfaces declared here.
package web

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/store"
)

// Results reads stored results.
type Results interface {
	GetResult(ctx context.Context, id string) (result.Result, error)
	ListResults(ctx context.Context, q store.ResultQuery) ([]result.Result, error)
	LatestResults(ctx context.Context) (map[string]result.Result, error)
}

// Catalog reads what the last sync found.
type Catalog interface {
	GetCatalog(ctx context.Context) (store.Catalog, error)
}

// ScheduleState is what Temporal says of a monitor's schedule.
type ScheduleState struct {
	ID      string      `json:"id"`
	Paused  bool        `json:"paused"`
	Note    string      `json:"note,omitempty"`
	NextRun *time.Time  `json:"next_run,omitempty"`
	Recent  []time.Time `json:"recent_runs,omitempty"`
}

// Schedules lists the monitors' schedules by monitor id.
type Schedules interface {
	MonitorSchedules(ctx context.Context) (map[string]ScheduleState, error)
}

// Deps are what the API reads; Schedules, Metrics and Log may be nil.
// Results and Catalog are nil on a node without a store (a worker that only
// runs checks): the routes that need them then answer 503.
type Deps struct {
	Results   Results
	Catalog   Catalog
	Schedules Schedules
	Metrics   http.Handler
	// Attachments serves the files of browser runs by key (nil: none).
	Attachments Attachments
	// Incidents and Signaler serve /api/incidents (nil: 503).
	Incidents Incidents
	Signaler  IncidentSignaler
	// Traces serves /api/traces (nil: 503).
	Traces Traces
	// Health checks by component name; any error makes /healthz answer 503.
	Health map[string]func(context.Context) error
	// Links to show in responses (Temporal UI base URL).
	TemporalUI string
	Namespace  string
	Log        *slog.Logger
}

// Handler returns the API's routes.
func Handler(d Deps) http.Handler {
	log := d.Log
	if log == nil {
		log = slog.Default()
	}
	s := &server{d: d, log: log.With("component", "web")}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	if d.Metrics != nil {
		mux.Handle("GET /metrics", d.Metrics)
	}
	mux.HandleFunc("GET /api/monitors", s.listMonitors)
	mux.HandleFunc("GET /api/monitors/{id}", s.getMonitor)
	mux.HandleFunc("GET /api/runs", s.listRuns)
	mux.HandleFunc("GET /api/runs/{id...}", s.getRun)
	mux.HandleFunc("GET /api/attachments/{key...}", s.getAttachment)
	mux.HandleFunc("GET /api/incidents", s.listIncidents)
	mux.HandleFunc("POST /api/incidents/{action}", s.incidentAction)
	mux.HandleFunc("GET /api/traces", s.listTraces)
	mux.HandleFunc("GET /api/traces/{id}", s.getTrace)
	return jsonFallback{mux}
}

// errNoStore is why the routes that read the store fail on a node without one.
var errNoStore = errors.New("this node has no store (it runs no control worker)")

// jsonFallback answers the /api requests that no route matches (unknown path,
// wrong method) with a JSON error like every other /api answer, instead of
// the mux's text/plain 404 and 405.
type jsonFallback struct{ mux *http.ServeMux }

func (h jsonFallback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") {
		if fallback, pattern := h.mux.Handler(r); pattern == "" {
			// Let the mux decide between 404 and 405 (and the Allow header).
			c := &capture{header: http.Header{}}
			fallback.ServeHTTP(c, r)
			if allow := c.header.Get("Allow"); allow != "" {
				w.Header().Set("Allow", allow)
			}
			code := c.code
			if code == 0 {
				code = http.StatusNotFound
			}
			writeError(w, code, http.StatusText(code)+": "+r.Method+" "+r.URL.Path)
			return
		}
	}
	h.mux.ServeHTTP(w, r)
}

// capture keeps the status and headers a handler writes and drops the body.
type capture struct {
	header http.Header
	code   int
}

func (c *capture) Header() http.Header { return c.header }

func (c *capture) WriteHeader(code int) {
	if c.code == 0 {
		c.code = code
	}
}

func (c *capture) Write(b []byte) (int, error) {
	c.WriteHeader(http.StatusOK)
	return len(b), nil
}

type server struct {
	d   Deps
	log *slog.Logger
}

func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	status := map[string]string{}
	code := http.StatusOK
	for name, check := range s.d.Health {
		if err := check(ctx); err != nil {
			status[name] = err.Error()
			code = http.StatusServiceUnavailable
			continue
		}
		status[name] = "ok"
	}
	writeJSON(w, code, map[string]any{"status": map[bool]string{true: "ok", false: "degraded"}[code == http.StatusOK], "components": status})
}

func (s *server) listRuns(w http.ResponseWriter, r *http.Request) {
	q := store.ResultQuery{
		MonitorID: r.URL.Query().Get("monitor"),
		Status:    r.URL.Query().Get("status"),
		Location:  r.URL.Query().Get("location"),
	}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, http.StatusBadRequest, "limit must be a number between 1 and 1000")
			return
		}
		q.Limit = n
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"since", &q.Since}, {"until", &q.Until}} {
		if v := r.URL.Query().Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				writeError(w, http.StatusBadRequest, p.name+" must be an RFC 3339 time")
				return
			}
			*p.dst = t
		}
	}
	if s.d.Results == nil {
		s.fail(w, "listing runs", errNoStore)
		return
	}
	runs, err := s.d.Results.ListResults(r.Context(), q)
	if err != nil {
		s.fail(w, "listing runs", err)
		return
	}
	if runs == nil {
		runs = []result.Result{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"runs": runs})
}

func (s *server) getRun(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if s.d.Results == nil {
		s.fail(w, "reading run", errNoStore)
		return
	}
	run, err := s.d.Results.GetResult(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no run with id "+strconv.Quote(id))
		return
	}
	if err != nil {
		s.fail(w, "reading run", err)
		return
	}
	s.resolveTraces(r.Context(), &run)
	writeJSON(w, http.StatusOK, run)
}

func (s *server) fail(w http.ResponseWriter, what string, err error) {
	s.log.Error(what, "error", err)
	writeError(w, http.StatusServiceUnavailable, what+": "+err.Error())
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

// Attachments reads stored files of runs; attach.Store is one.
type Attachments interface {
	Get(ctx context.Context, key string) ([]byte, string, error)
}

// getAttachment serves one file of a run, by the key its result lists.
func (s *server) getAttachment(w http.ResponseWriter, r *http.Request) {
	if s.d.Attachments == nil {
		writeError(w, http.StatusNotFound, "no attachment store configured")
		return
	}
	data, contentType, err := s.d.Attachments.Get(r.Context(), r.PathValue("key"))
	if err != nil {
		writeError(w, http.StatusNotFound, err.Error())
		return
	}
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(data)
}
