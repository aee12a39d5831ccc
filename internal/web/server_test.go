package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/attach"
	"github.com/vigil-dev/vigil/internal/metrics"
	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/store/sqlite"
	"github.com/vigil-dev/vigil/internal/store/storetest"
	"github.com/vigil-dev/vigil/internal/web"
)

// fakeSchedules is an in-memory web.Schedules.
type fakeSchedules struct {
	states map[string]web.ScheduleState
	err    error
}

func (f fakeSchedules) MonitorSchedules(context.Context) (map[string]web.ScheduleState, error) {
	return f.states, f.err
}

var (
	t0       = storetest.Base
	nextRun  = t0.Add(10 * time.Minute)
	recentAt = t0.Add(-time.Minute)
)

// runID builds a result id shaped like workflows.ResultID: it holds slashes
// and colons.
func runID(monitorID string, fired time.Time, location string, attempt int) string {
	return fmt.Sprintf("vigil-run/%s-%s/01a2b3c4-d5e6-4f70-8192-a3b4c5d6e7f8/%s/%d",
		monitorID, fired.UTC().Format(time.RFC3339), location, attempt)
}

var (
	shopOld    = runID("shop", t0, "local", 1)                  // down, local
	shopMid    = runID("shop", t0.Add(time.Minute), "local", 1) // up, local
	shopNewest = runID("shop", t0.Add(2*time.Minute), "eu", 1)  // down, eu
	apiOnly    = runID("api", t0.Add(30*time.Second), "local", 1)
	goneRun    = runID("gone", t0.Add(5*time.Minute), "local", 1) // monitor no longer in the catalog
)

func fixtureResults() []result.Result {
	up := func(r result.Result) result.Result {
		r.Monitor.Status = result.StatusUp
		r.Error = nil
		r.Summary = result.Summary{Up: 2}
		return r
	}
	at := func(r result.Result, loc string) result.Result {
		r.Observer.Name = loc
		r.Observer.Geo.Name = loc
		return r
	}
	return []result.Result{
		storetest.NewResult(shopOld, "shop", t0),
		up(storetest.NewResult(shopMid, "shop", t0.Add(time.Minute))),
		at(storetest.NewResult(shopNewest, "shop", t0.Add(2*time.Minute)), "eu"),
		up(storetest.NewResult(apiOnly, "api", t0.Add(30*time.Second))),
		storetest.NewResult(goneRun, "gone", t0.Add(5*time.Minute)),
	}
}

var (
	legacyErr = monitor.ValidationError{File: "monitors/legacy.yaml", Line: 3, Column: 8, MonitorID: "legacy",
		Message: "schedule: every must be at least 10s"}
	brokenErr = monitor.ValidationError{File: "monitors/broken.yaml", Line: 1, Column: 1,
		Message: "not a YAML mapping"}
)

func fixtureCatalog() store.Catalog {
	return store.Catalog{
		Source:   "https://git.example/monitors.git",
		Branch:   "main",
		Commit:   "c0ffee0000000000000000000000000000000000",
		SyncedAt: t0.Add(3 * time.Minute),
		Monitors: []store.CatalogMonitor{
			{Monitor: monitor.Monitor{ID: "shop", Name: "Shop checkout", Type: monitor.TypeHTTP,
				Schedule: monitor.Schedule{Every: monitor.Duration(time.Minute)}, Locations: []string{"local", "eu"},
				Tags: []string{"team:shop"}, Source: monitor.Source{File: "monitors/shop.yaml", Line: 1}},
				Commit: "c0ffee0000000000000000000000000000000000"},
			{Monitor: monitor.Monitor{ID: "legacy", Type: monitor.TypeTCP,
				Schedule: monitor.Schedule{Every: monitor.Duration(5 * time.Minute)},
				Source:   monitor.Source{File: "monitors/legacy.yaml", Line: 1}},
				Commit: "0ld0000000000000000000000000000000000000", Stale: true},
			{Monitor: monitor.Monitor{ID: "api", Type: monitor.TypeHTTP, Paused: true,
				Schedule: monitor.Schedule{Cron: "*/5 * * * *"}, Source: monitor.Source{File: "monitors/api.yaml", Line: 4}},
				Commit: "c0ffee0000000000000000000000000000000000"},
		},
		Errors: []monitor.ValidationError{legacyErr, brokenErr},
	}
}

func fixtureSchedules() fakeSchedules {
	next := nextRun
	return fakeSchedules{states: map[string]web.ScheduleState{
		"shop":   {ID: "vigil-monitor/shop", NextRun: &next, Recent: []time.Time{recentAt}},
		"legacy": {ID: "vigil-monitor/legacy", Paused: true, Note: "paused by vigil"},
		"other":  {ID: "vigil-monitor/other"}, // a schedule with no monitor in the catalog
	}}
}

// openStore opens a fresh embedded store, closed when the test ends.
func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, st.Close()) })
	return st
}

// filledStore holds the fixture results and, when synced, the catalog.
func filledStore(t *testing.T, synced bool) *sqlite.Store {
	t.Helper()
	st := openStore(t)
	require.NoError(t, st.WriteResults(t.Context(), fixtureResults()))
	if synced {
		require.NoError(t, st.PutCatalog(t.Context(), fixtureCatalog()))
	}
	return st
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}

func deps(t *testing.T, st *sqlite.Store, sched web.Schedules) web.Deps {
	return web.Deps{
		Results:    st,
		Catalog:    st,
		Schedules:  sched,
		TemporalUI: "http://localhost:8233",
		Namespace:  "default",
		Log:        testLogger(t),
	}
}

// get serves one request on h directly, so a panic in a handler fails the
// test instead of being swallowed by http.Server.
func get(t *testing.T, h http.Handler, target string) *httptest.ResponseRecorder {
	t.Helper()
	return do(t, h, http.MethodGet, target)
}

func do(t *testing.T, h http.Handler, method, target string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	if strings.HasPrefix(target, "/api") {
		assert.Equal(t, "application/json", rec.Header().Get("Content-Type"), "%s %s", method, target)
	}
	return rec
}

// decode decodes the body into v, failing the test on invalid JSON.
func decode(t *testing.T, rec *httptest.ResponseRecorder, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), v), "body: %s", rec.Body)
}

// errorOf asserts the body is {"error": "..."} and returns the message.
func errorOf(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var body map[string]any
	decode(t, rec, &body)
	require.Len(t, body, 1, "body: %s", rec.Body)
	msg, ok := body["error"].(string)
	require.True(t, ok, "body: %s", rec.Body)
	require.NotEmpty(t, msg)
	return msg
}

func TestHealthz(t *testing.T) {
	ok := func(context.Context) error { return nil }
	down := func(context.Context) error { return errors.New("connection refused") }
	tests := []struct {
		name       string
		health     map[string]func(context.Context) error
		nilLog     bool
		code       int
		status     string
		components map[string]string
	}{
		{name: "no checks", code: 200, status: "ok", components: map[string]string{}},
		{name: "all ok", health: map[string]func(context.Context) error{"store": ok, "temporal": ok},
			code: 200, status: "ok", components: map[string]string{"store": "ok", "temporal": "ok"}},
		{name: "nil logger", health: map[string]func(context.Context) error{"store": ok}, nilLog: true,
			code: 200, status: "ok", components: map[string]string{"store": "ok"}},
		{name: "temporal down", health: map[string]func(context.Context) error{"store": ok, "temporal": down},
			code: 503, status: "degraded", components: map[string]string{"store": "ok", "temporal": "connection refused"}},
		{name: "all down", health: map[string]func(context.Context) error{"store": down, "temporal": down},
			code: 503, status: "degraded", components: map[string]string{"store": "connection refused", "temporal": "connection refused"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := web.Deps{Health: tc.health, Log: testLogger(t)}
			if tc.nilLog {
				d.Log = nil
			}
			rec := get(t, web.Handler(d), "/healthz")
			assert.Equal(t, tc.code, rec.Code)
			assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
			var body struct {
				Status     string            `json:"status"`
				Components map[string]string `json:"components"`
			}
			decode(t, rec, &body)
			assert.Equal(t, tc.status, body.Status)
			assert.Equal(t, tc.components, body.Components)
		})
	}

	t.Run("real store check fails once the store is closed", func(t *testing.T) {
		st := openStore(t)
		d := deps(t, st, nil)
		d.Health = map[string]func(context.Context) error{
			"store": func(ctx context.Context) error { _, err := st.LatestResults(ctx); return err },
		}
		h := web.Handler(d)
		require.Equal(t, 200, get(t, h, "/healthz").Code)
		require.NoError(t, st.Close())
		rec := get(t, h, "/healthz")
		assert.Equal(t, 503, rec.Code)
		var body struct{ Components map[string]string }
		decode(t, rec, &body)
		assert.Contains(t, body.Components["store"], "closed")
	})
}

func TestMetrics(t *testing.T) {
	m := metrics.New()
	m.ObserveCheck(storetest.NewResult(shopOld, "shop", t0))
	m.ObserveCheck(storetest.NewResult(shopMid, "shop", t0))
	h := web.Handler(web.Deps{Metrics: m.Handler(), Log: testLogger(t)})

	rec := get(t, h, "/metrics")
	require.Equal(t, 200, rec.Code)
	assert.True(t, strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain"), rec.Header().Get("Content-Type"))
	body := rec.Body.String()
	assert.Contains(t, body, "# TYPE vigil_checks_total counter")
	assert.Contains(t, body, `vigil_checks_total{location="local",monitor="shop",status="down"} 2`)
	assert.Contains(t, body, "vigil_check_duration_seconds_bucket")
	assert.Contains(t, body, "go_goroutines", "the Go collector is registered")

	t.Run("no metrics handler", func(t *testing.T) {
		rec := get(t, web.Handler(web.Deps{Log: testLogger(t)}), "/metrics")
		assert.Equal(t, 404, rec.Code)
	})
}

func TestListMonitors(t *testing.T) {
	t.Run("synced", func(t *testing.T) {
		h := web.Handler(deps(t, filledStore(t, true), fixtureSchedules()))
		rec := get(t, h, "/api/monitors")
		require.Equal(t, 200, rec.Code, rec.Body.String())
		var v web.MonitorsView
		decode(t, rec, &v)

		cat := fixtureCatalog()
		assert.Equal(t, cat.Source, v.Source)
		assert.Equal(t, cat.Branch, v.Branch)
		assert.Equal(t, cat.Commit, v.Commit)
		assert.True(t, cat.SyncedAt.Equal(v.SyncedAt))
		assert.Empty(t, v.FetchError)
		assert.Equal(t, []monitor.ValidationError{legacyErr, brokenErr}, v.Errors, "top-level errors list every error of the commit")

		require.Len(t, v.Monitors, 3)
		ids := []string{v.Monitors[0].ID, v.Monitors[1].ID, v.Monitors[2].ID}
		require.Equal(t, []string{"api", "legacy", "shop"}, ids, "sorted by id; monitors absent from the catalog are not listed")
		api, legacy, shop := v.Monitors[0], v.Monitors[1], v.Monitors[2]

		// shop: scheduled, with a next run, newest result from eu.
		assert.Equal(t, "Shop checkout", shop.Name)
		assert.Equal(t, "http", shop.Type)
		assert.Equal(t, monitor.Schedule{Every: monitor.Duration(time.Minute)}, shop.Schedule)
		assert.Equal(t, []string{"local", "eu"}, shop.Locations)
		assert.Equal(t, []string{"team:shop"}, shop.Tags)
		assert.Equal(t, monitor.Source{File: "monitors/shop.yaml", Line: 1}, shop.Source)
		assert.False(t, shop.Stale)
		assert.Empty(t, shop.Errors)
		require.NotNil(t, shop.Temporal)
		assert.Equal(t, "vigil-monitor/shop", shop.Temporal.ID)
		assert.False(t, shop.Temporal.Paused)
		require.NotNil(t, shop.Temporal.NextRun)
		assert.True(t, nextRun.Equal(*shop.Temporal.NextRun))
		require.Len(t, shop.Temporal.Recent, 1)
		assert.True(t, recentAt.Equal(shop.Temporal.Recent[0]))
		require.NotNil(t, shop.Last, "shop has results")
		assert.Equal(t, shopNewest, shop.Last.ID, "last_result is the newest result of the monitor")
		assert.Equal(t, result.StatusDown, shop.Last.Status)
		assert.Equal(t, "eu", shop.Last.Location)
		assert.True(t, t0.Add(2*time.Minute).Equal(shop.Last.Timestamp))
		assert.Equal(t, result.Micros{US: 200_123}, shop.Last.Duration)
		require.NotNil(t, shop.Last.Error)
		assert.Equal(t, "status == 200: got 500", shop.Last.Error.Message)
		assert.Equal(t, map[string]string{
			"runs":              "/api/runs?monitor=shop",
			"temporal_runs":     "http://localhost:8233/namespaces/default/workflows?query=" + url.QueryEscape(`VigilMonitorId="shop"`),
			"temporal_schedule": "http://localhost:8233/namespaces/default/schedules/vigil-monitor%2Fshop",
		}, shop.Links)

		// legacy: stale, paused in Temporal, its own validation error, no results.
		assert.Equal(t, "legacy", legacy.Name, "the name defaults to the id")
		assert.True(t, legacy.Stale)
		assert.Equal(t, "0ld0000000000000000000000000000000000000", legacy.Commit)
		assert.Equal(t, []monitor.ValidationError{legacyErr}, legacy.Errors, "only the errors of this monitor")
		require.NotNil(t, legacy.Temporal)
		assert.True(t, legacy.Temporal.Paused)
		assert.Equal(t, "paused by vigil", legacy.Temporal.Note)
		assert.Nil(t, legacy.Temporal.NextRun)
		assert.Nil(t, legacy.Last)
		assert.Equal(t, []string{monitor.DefaultLocation}, legacy.Locations)

		// api: paused in git, no schedule in Temporal, one up result.
		assert.True(t, api.Paused)
		assert.Equal(t, monitor.Schedule{Cron: "*/5 * * * *"}, api.Schedule)
		assert.Nil(t, api.Temporal, "no schedule in Temporal for api")
		assert.Empty(t, api.Errors)
		require.NotNil(t, api.Last)
		assert.Equal(t, apiOnly, api.Last.ID)
		assert.Equal(t, result.StatusUp, api.Last.Status)
		assert.Nil(t, api.Last.Error)

		// The wire names clients rely on.
		var raw struct {
			Errors   []json.RawMessage            `json:"errors"`
			Monitors []map[string]json.RawMessage `json:"monitors"`
		}
		decode(t, rec, &raw)
		for _, k := range []string{"id", "name", "type", "schedule", "temporal_schedule", "paused", "locations",
			"source", "commit", "last_result", "links"} {
			assert.Contains(t, raw.Monitors[2], k)
		}
		assert.Contains(t, raw.Monitors[1], "stale")
		assert.Contains(t, raw.Monitors[1], "errors")
		assert.NotContains(t, raw.Monitors[0], "temporal_schedule")
		assert.NotContains(t, raw.Monitors[0], "stale")
		var last map[string]any
		require.NoError(t, json.Unmarshal(raw.Monitors[2]["last_result"], &last))
		assert.Contains(t, last, "@timestamp")
		var sched map[string]any
		require.NoError(t, json.Unmarshal(raw.Monitors[2]["temporal_schedule"], &sched))
		assert.Contains(t, sched, "next_run")
		assert.Equal(t, false, sched["paused"])
	})

	t.Run("before the first sync", func(t *testing.T) {
		h := web.Handler(deps(t, filledStore(t, false), fixtureSchedules()))
		rec := get(t, h, "/api/monitors")
		require.Equal(t, 200, rec.Code, rec.Body.String())
		var raw map[string]json.RawMessage
		decode(t, rec, &raw)
		assert.JSONEq(t, "[]", string(raw["monitors"]), "an empty array, not null")
		assert.JSONEq(t, "[]", string(raw["errors"]), "an empty array, not null")
	})

	t.Run("synced with no monitors and no errors", func(t *testing.T) {
		st := openStore(t)
		require.NoError(t, st.PutCatalog(t.Context(), store.Catalog{Source: "/srv/monitors", Commit: "abc", SyncedAt: t0}))
		rec := get(t, web.Handler(deps(t, st, nil)), "/api/monitors")
		require.Equal(t, 200, rec.Code, rec.Body.String())
		var raw map[string]json.RawMessage
		decode(t, rec, &raw)
		assert.JSONEq(t, "[]", string(raw["monitors"]))
		assert.JSONEq(t, "[]", string(raw["errors"]))
		assert.JSONEq(t, `"abc"`, string(raw["commit"]))
	})

	t.Run("fetch error is shown", func(t *testing.T) {
		st := openStore(t)
		cat := fixtureCatalog()
		cat.FetchError = "git fetch: connection refused"
		require.NoError(t, st.PutCatalog(t.Context(), cat))
		rec := get(t, web.Handler(deps(t, st, nil)), "/api/monitors")
		require.Equal(t, 200, rec.Code, rec.Body.String())
		var v web.MonitorsView
		decode(t, rec, &v)
		assert.Equal(t, "git fetch: connection refused", v.FetchError)
		assert.Len(t, v.Monitors, 3, "the previous monitors stay in force")
	})

	for _, tc := range []struct {
		name  string
		sched web.Schedules
	}{
		{"schedules unavailable", fakeSchedules{err: errors.New("temporal: connection refused")}},
		{"no schedules reader", nil},
	} {
		t.Run(tc.name+" still answers from the store", func(t *testing.T) {
			h := web.Handler(deps(t, filledStore(t, true), tc.sched))
			rec := get(t, h, "/api/monitors")
			require.Equal(t, 200, rec.Code, rec.Body.String())
			var v web.MonitorsView
			decode(t, rec, &v)
			require.Len(t, v.Monitors, 3)
			for _, m := range v.Monitors {
				assert.Nil(t, m.Temporal, m.ID)
			}
			require.NotNil(t, v.Monitors[2].Last)
			assert.Equal(t, shopNewest, v.Monitors[2].Last.ID)
			assert.Len(t, v.Errors, 2)
		})
	}

	t.Run("no Temporal UI, no Temporal links", func(t *testing.T) {
		d := deps(t, filledStore(t, true), nil)
		d.TemporalUI = ""
		rec := get(t, web.Handler(d), "/api/monitors")
		require.Equal(t, 200, rec.Code)
		var v web.MonitorsView
		decode(t, rec, &v)
		assert.Equal(t, map[string]string{"runs": "/api/runs?monitor=shop"}, v.Monitors[2].Links)
	})
}

func TestGetMonitor(t *testing.T) {
	synced := web.Handler(deps(t, filledStore(t, true), fixtureSchedules()))
	unsynced := web.Handler(deps(t, filledStore(t, false), fixtureSchedules()))
	tests := []struct {
		name    string
		h       http.Handler
		path    string
		code    int
		wantID  string
		wantErr string
	}{
		{name: "found", h: synced, path: "/api/monitors/shop", code: 200, wantID: "shop"},
		{name: "stale found", h: synced, path: "/api/monitors/legacy", code: 200, wantID: "legacy"},
		{name: "unknown", h: synced, path: "/api/monitors/nope", code: 404, wantErr: `"nope"`},
		{name: "results but not in the catalog", h: synced, path: "/api/monitors/gone", code: 404, wantErr: `"gone"`},
		{name: "before the first sync", h: unsynced, path: "/api/monitors/shop", code: 404, wantErr: `"shop"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(t, tc.h, tc.path)
			require.Equal(t, tc.code, rec.Code, rec.Body.String())
			if tc.wantErr != "" {
				assert.Contains(t, errorOf(t, rec), tc.wantErr)
				return
			}
			var m web.MonitorView
			decode(t, rec, &m)
			assert.Equal(t, tc.wantID, m.ID)
		})
	}

	t.Run("same view as the list", func(t *testing.T) {
		var list web.MonitorsView
		decode(t, get(t, synced, "/api/monitors"), &list)
		var one web.MonitorView
		decode(t, get(t, synced, "/api/monitors/shop"), &one)
		assert.Equal(t, list.Monitors[2], one)
	})
}

func TestListRuns(t *testing.T) {
	h := web.Handler(deps(t, filledStore(t, true), nil))
	tests := []struct {
		name  string
		query string
		want  []string // ids, in order
	}{
		{name: "all, newest first", query: "", want: []string{goneRun, shopNewest, shopMid, apiOnly, shopOld}},
		{name: "one monitor", query: "?monitor=shop", want: []string{shopNewest, shopMid, shopOld}},
		{name: "other monitor", query: "?monitor=api", want: []string{apiOnly}},
		{name: "status down", query: "?monitor=shop&status=down", want: []string{shopNewest, shopOld}},
		{name: "status up", query: "?status=up", want: []string{shopMid, apiOnly}},
		{name: "location", query: "?location=eu", want: []string{shopNewest}},
		{name: "limit", query: "?monitor=shop&limit=2", want: []string{shopNewest, shopMid}},
		{name: "limit 1", query: "?limit=1", want: []string{goneRun}},
		{name: "since inclusive", query: "?monitor=shop&since=" + url.QueryEscape(t0.Add(time.Minute).Format(time.RFC3339Nano)),
			want: []string{shopNewest, shopMid}},
		{name: "until exclusive", query: "?monitor=shop&until=" + url.QueryEscape(t0.Add(2*time.Minute).Format(time.RFC3339Nano)),
			want: []string{shopMid, shopOld}},
		{name: "since and until", query: "?since=2025-03-14T15:10:00Z&until=2025-03-14T15:11:00Z", want: []string{shopMid}},
		{name: "unknown monitor", query: "?monitor=nope", want: []string{}},
		{name: "unknown status", query: "?status=sideways", want: []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(t, h, "/api/runs"+tc.query)
			require.Equal(t, 200, rec.Code, rec.Body.String())
			var raw map[string]json.RawMessage
			decode(t, rec, &raw)
			require.Contains(t, raw, "runs")
			assert.NotEqual(t, "null", string(raw["runs"]), "an empty array, not null")
			var body struct{ Runs []result.Result }
			decode(t, rec, &body)
			ids := []string{}
			for _, r := range body.Runs {
				ids = append(ids, r.ID)
				if q, _ := url.ParseQuery(strings.TrimPrefix(tc.query, "?")); q.Get("monitor") != "" {
					assert.Equal(t, q.Get("monitor"), r.Monitor.ID)
				}
			}
			assert.Equal(t, tc.want, ids)
		})
	}

	bad := []struct {
		name, query, mention string
	}{
		{"limit not a number", "?limit=ten", "limit"},
		{"limit zero", "?limit=0", "limit"},
		{"limit negative", "?limit=-1", "limit"},
		{"limit too large", "?limit=1001", "limit"},
		{"since not a time", "?since=yesterday", "since"},
		{"since a bare date", "?since=2025-03-14", "since"},
		{"until not a time", "?until=1700000000", "until"},
	}
	for _, tc := range bad {
		t.Run("bad request: "+tc.name, func(t *testing.T) {
			rec := get(t, h, "/api/runs"+tc.query)
			require.Equal(t, 400, rec.Code, rec.Body.String())
			assert.Contains(t, errorOf(t, rec), tc.mention)
		})
	}
}

func TestGetRun(t *testing.T) {
	st := filledStore(t, true)
	h := web.Handler(deps(t, st, nil))
	byID := map[string]result.Result{}
	for _, r := range fixtureResults() {
		byID[r.ID] = r
	}
	tests := []struct {
		name string
		path string
		id   string // the run expected; "" for 404
	}{
		{name: "id with slashes", path: "/api/runs/" + shopNewest, id: shopNewest},
		{name: "another id", path: "/api/runs/" + apiOnly, id: apiOnly},
		{name: "escaped slashes", path: "/api/runs/" + url.PathEscape(shopMid), id: shopMid},
		{name: "result of a removed monitor", path: "/api/runs/" + goneRun, id: goneRun},
		{name: "unknown", path: "/api/runs/vigil-run/shop-2025-01-01T00:00:00Z/nope/local/1"},
		{name: "prefix of an id", path: "/api/runs/vigil-run/shop-2025-03-14T15:09:26Z"},
		{name: "empty id", path: "/api/runs/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(t, h, tc.path)
			if tc.id == "" {
				require.Equal(t, 404, rec.Code, rec.Body.String())
				assert.Contains(t, errorOf(t, rec), "no run with id")
				return
			}
			require.Equal(t, 200, rec.Code, rec.Body.String())
			var got result.Result
			decode(t, rec, &got)
			want := byID[tc.id]
			require.NotNil(t, got.Vigil.StoredAt, "the store sets StoredAt")
			want.Vigil.StoredAt = got.Vigil.StoredAt
			assert.Equal(t, want, got, "the stored document, whole")
		})
	}
}

func TestStoreUnreachable(t *testing.T) {
	st := filledStore(t, true)
	d := deps(t, st, fixtureSchedules())
	d.Health = map[string]func(context.Context) error{
		"store": func(ctx context.Context) error { _, err := st.LatestResults(ctx); return err },
	}
	h := web.Handler(d)
	require.Equal(t, 200, get(t, h, "/api/monitors").Code)
	require.NoError(t, st.Close())

	tests := []struct {
		path, what string
	}{
		{"/api/monitors", "listing monitors"},
		{"/api/monitors/shop", "reading monitor"},
		{"/api/runs?monitor=shop", "listing runs"},
		{"/api/runs/" + shopNewest, "reading run"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			rec := get(t, h, tc.path)
			require.Equal(t, 503, rec.Code, rec.Body.String())
			msg := errorOf(t, rec)
			assert.Contains(t, msg, tc.what)
			assert.Contains(t, msg, "closed", "says why")
		})
	}
	t.Run("bad parameters are still a 400", func(t *testing.T) {
		assert.Equal(t, 400, get(t, h, "/api/runs?limit=x").Code)
	})
	t.Run("/healthz names the store", func(t *testing.T) {
		rec := get(t, h, "/healthz")
		require.Equal(t, 503, rec.Code)
		var body struct{ Components map[string]string }
		decode(t, rec, &body)
		assert.Contains(t, body.Components, "store")
		assert.NotEqual(t, "ok", body.Components["store"])
	})
}

// A node that runs only checks has no store: Results and Catalog are nil.
func TestNoStore(t *testing.T) {
	h := web.Handler(web.Deps{Schedules: fixtureSchedules(), Log: testLogger(t)})
	for _, path := range []string{"/api/monitors", "/api/monitors/shop", "/api/runs", "/api/runs/" + shopNewest} {
		t.Run(path, func(t *testing.T) {
			rec := get(t, h, path)
			require.Equal(t, 503, rec.Code, rec.Body.String())
			assert.Contains(t, errorOf(t, rec), "no store")
		})
	}
	t.Run("/healthz", func(t *testing.T) {
		assert.Equal(t, 200, get(t, h, "/healthz").Code)
	})
}

func TestUnmatchedAPIRoutes(t *testing.T) {
	h := web.Handler(deps(t, filledStore(t, true), nil))
	tests := []struct {
		method, path string
		code         int
		allow        string
	}{
		{http.MethodGet, "/api/nope", 404, ""},
		{http.MethodGet, "/api", 404, ""},
		{http.MethodGet, "/api/monitors/shop/extra", 404, ""},
		{http.MethodPost, "/api/monitors", 405, "GET"},
		{http.MethodDelete, "/api/runs/" + shopOld, 405, "GET"},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			rec := do(t, h, tc.method, tc.path)
			require.Equal(t, tc.code, rec.Code, rec.Body.String())
			assert.Contains(t, errorOf(t, rec), http.StatusText(tc.code))
			if tc.allow != "" {
				assert.Contains(t, rec.Header().Get("Allow"), tc.allow)
			}
		})
	}
	t.Run("HEAD is served by the GET routes", func(t *testing.T) {
		assert.Equal(t, 200, do(t, h, http.MethodHead, "/api/monitors").Code)
	})
}

// Over a real connection, concurrently, with the race detector.
func TestConcurrentRequests(t *testing.T) {
	srv := httptest.NewServer(web.Handler(deps(t, filledStore(t, true), fixtureSchedules())))
	t.Cleanup(srv.Close)
	paths := []string{"/api/monitors", "/api/monitors/shop", "/api/runs?monitor=shop", "/api/runs/" + shopOld, "/healthz"}
	errs := make(chan error, 40)
	for i := range cap(errs) {
		go func() {
			resp, err := srv.Client().Get(srv.URL + paths[i%len(paths)])
			if err != nil {
				errs <- err
				return
			}
			_ = resp.Body.Close()
			if resp.StatusCode != 200 {
				err = fmt.Errorf("%s: %s", paths[i%len(paths)], resp.Status)
			}
			errs <- err
		}()
	}
	for range cap(errs) {
		assert.NoError(t, <-errs)
	}
}

func TestAttachments(t *testing.T) {
	store, err := attach.Open(context.Background(), "mem://")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.Put(context.Background(), "shop/20261122T120000Z/screenshot-2-home.png", "image/png", []byte("png-bytes")); err != nil {
		t.Fatal(err)
	}
	h := web.Handler(web.Deps{Attachments: store, Log: testLogger(t)})
	rec := httptest.NewRecorder() // not JSON: served as stored
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/attachments/shop/20261122T120000Z/screenshot-2-home.png", nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/png" || rec.Body.String() != "png-bytes" {
		t.Fatalf("got %d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
	if rec := get(t, h, "/api/attachments/shop/nope.png"); rec.Code != http.StatusNotFound {
		t.Fatalf("missing attachment: %d", rec.Code)
	}
	if rec := get(t, web.Handler(web.Deps{Log: testLogger(t)}), "/api/attachments/x"); rec.Code != http.StatusNotFound {
		t.Fatalf("no store: %d", rec.Code)
	}
}
