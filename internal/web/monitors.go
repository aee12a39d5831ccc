package web

import (
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/store"
)

// MonitorView is one monitor as the API shows it.
type MonitorView struct {
	ID        string                    `json:"id"`
	Name      string                    `json:"name"`
	Type      string                    `json:"type"`
	Schedule  monitor.Schedule          `json:"schedule"`
	Temporal  *ScheduleState            `json:"temporal_schedule,omitempty"`
	Paused    bool                      `json:"paused"`
	Locations []string                  `json:"locations"`
	Tags      []string                  `json:"tags,omitempty"`
	Source    monitor.Source            `json:"source"`
	Commit    string                    `json:"commit"`
	Stale     bool                      `json:"stale,omitempty"`
	Errors    []monitor.ValidationError `json:"errors,omitempty"`
	Last      *LastResult               `json:"last_result,omitempty"`
	Links     map[string]string         `json:"links"`
}

// LastResult summarises a monitor's newest result.
type LastResult struct {
	ID        string        `json:"id"`
	Status    string        `json:"status"`
	Timestamp time.Time     `json:"@timestamp"`
	Duration  result.Micros `json:"duration"`
	Location  string        `json:"location"`
	Error     *result.Error `json:"error,omitempty"`
}

// MonitorsView is the answer of /api/monitors.
type MonitorsView struct {
	Source     string                    `json:"source"`
	Branch     string                    `json:"branch,omitempty"`
	Commit     string                    `json:"commit"`
	SyncedAt   time.Time                 `json:"synced_at"`
	FetchError string                    `json:"fetch_error,omitempty"`
	Errors     []monitor.ValidationError `json:"errors"`
	Monitors   []MonitorView             `json:"monitors"`
}

func (s *server) monitorsView(r *http.Request) (MonitorsView, error) {
	ctx := r.Context()
	if s.d.Catalog == nil || s.d.Results == nil {
		return MonitorsView{}, errNoStore
	}
	cat, err := s.d.Catalog.GetCatalog(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return MonitorsView{Errors: []monitor.ValidationError{}, Monitors: []MonitorView{}}, nil
	}
	if err != nil {
		return MonitorsView{}, err
	}
	latest, err := s.d.Results.LatestResults(ctx)
	if err != nil {
		return MonitorsView{}, err
	}
	var scheds map[string]ScheduleState
	if s.d.Schedules != nil {
		// Schedules are a nice-to-have here: the store still answers when
		// Temporal does not.
		if scheds, err = s.d.Schedules.MonitorSchedules(ctx); err != nil {
			s.log.Warn("listing schedules for /api/monitors", "error", err)
		}
	}
	errsByID := map[string][]monitor.ValidationError{}
	for _, e := range cat.Errors {
		if e.MonitorID != "" {
			errsByID[e.MonitorID] = append(errsByID[e.MonitorID], e)
		}
	}
	v := MonitorsView{Source: cat.Source, Branch: cat.Branch, Commit: cat.Commit, SyncedAt: cat.SyncedAt,
		FetchError: cat.FetchError, Errors: cat.Errors, Monitors: []MonitorView{}}
	if v.Errors == nil {
		v.Errors = []monitor.ValidationError{}
	}
	for _, cm := range cat.Monitors {
		m := cm.Monitor
		mv := MonitorView{ID: m.ID, Name: m.DisplayName(), Type: m.Type, Schedule: m.Schedule, Paused: m.Paused,
			Locations: m.LocationsOrDefault(), Tags: m.Tags, Source: m.Source, Commit: cm.Commit, Stale: cm.Stale,
			Errors: errsByID[m.ID], Links: s.links(m.ID)}
		if st, ok := scheds[m.ID]; ok {
			mv.Temporal = &st
		}
		if r, ok := latest[m.ID]; ok {
			mv.Last = &LastResult{ID: r.ID, Status: r.Monitor.Status, Timestamp: r.Timestamp,
				Duration: r.Monitor.Duration, Location: r.Observer.Name, Error: r.Error}
		}
		v.Monitors = append(v.Monitors, mv)
	}
	sort.Slice(v.Monitors, func(i, j int) bool { return v.Monitors[i].ID < v.Monitors[j].ID })
	return v, nil
}

func (s *server) links(id string) map[string]string {
	l := map[string]string{"runs": "/api/runs?monitor=" + url.QueryEscape(id)}
	if s.d.TemporalUI != "" {
		q := url.QueryEscape("VigilMonitorId=" + strconv.Quote(id))
		l["temporal_runs"] = s.d.TemporalUI + "/namespaces/" + s.d.Namespace + "/workflows?query=" + q
		l["temporal_schedule"] = s.d.TemporalUI + "/namespaces/" + s.d.Namespace + "/schedules/" + url.PathEscape("vigil-monitor/"+id)
	}
	return l
}

func (s *server) listMonitors(w http.ResponseWriter, r *http.Request) {
	v, err := s.monitorsView(r)
	if err != nil {
		s.fail(w, "listing monitors", err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *server) getMonitor(w http.ResponseWriter, r *http.Request) {
	v, err := s.monitorsView(r)
	if err != nil {
		s.fail(w, "reading monitor", err)
		return
	}
	id := r.PathValue("id")
	for _, m := range v.Monitors {
		if m.ID == id {
			writeJSON(w, http.StatusOK, m)
			return
		}
	}
	writeError(w, http.StatusNotFound, "no monitor with id "+strconv.Quote(id))
}
