package metrics_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/metrics"
	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/store/storetest"
)

// The registry is read through Gather rather than prometheus/testutil, whose
// dependency (github.com/kylelemons/godebug) go.mod does not list.

// find returns the metric of family name whose labels include want, or nil.
func find(t *testing.T, m *metrics.Metrics, name string, want map[string]string) *dto.Metric {
	t.Helper()
	families, err := m.Registry().Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, mt := range f.GetMetric() {
			got := map[string]string{}
			for _, l := range mt.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if got[k] != v {
					continue series
				}
			}
			return mt
		}
	}
	return nil
}

// value is the value of a counter or gauge; 0 when the series does not exist.
func value(t *testing.T, m *metrics.Metrics, name string, labels map[string]string) float64 {
	t.Helper()
	mt := find(t, m, name, labels)
	switch {
	case mt == nil:
		return 0
	case mt.Counter != nil:
		return mt.GetCounter().GetValue()
	case mt.Gauge != nil:
		return mt.GetGauge().GetValue()
	}
	t.Fatalf("%s%v is neither a counter nor a gauge", name, labels)
	return 0
}

// histogram returns the sample count and sum; 0, 0 when the series does not exist.
func histogram(t *testing.T, m *metrics.Metrics, name string, labels map[string]string) (uint64, float64) {
	t.Helper()
	mt := find(t, m, name, labels)
	if mt == nil {
		return 0, 0
	}
	require.NotNil(t, mt.Histogram, "%s is a histogram", name)
	return mt.GetHistogram().GetSampleCount(), mt.GetHistogram().GetSampleSum()
}

func check(id, monitorID, location, status string, attempt int, scheduled bool) result.Result {
	r := storetest.NewResult(id, monitorID, storetest.Base)
	r.Observer.Name = location
	r.Monitor.Status = status
	r.Vigil.Attempt = attempt
	if !scheduled {
		r.Vigil.ScheduledAt = nil
	}
	return r
}

func checks(monitorID, location, status string) map[string]string {
	return map[string]string{"monitor": monitorID, "location": location, "status": status}
}

func TestObserveCheckCounts(t *testing.T) {
	m := metrics.New()
	for _, r := range []result.Result{
		check("1", "shop", "local", result.StatusDown, 1, true),
		check("2", "shop", "local", result.StatusDown, 2, true),
		check("3", "shop", "eu", result.StatusUp, 1, true),
		check("4", "api", "local", result.StatusUp, 1, false),
	} {
		m.ObserveCheck(r)
	}
	tests := []struct {
		monitor, location, status string
		want                      float64
	}{
		{"shop", "local", result.StatusDown, 2},
		{"shop", "eu", result.StatusUp, 1},
		{"api", "local", result.StatusUp, 1},
		{"shop", "local", result.StatusUp, 0},
		{"shop", "eu", result.StatusDown, 0},
		{"api", "eu", result.StatusUp, 0},
	}
	for _, tc := range tests {
		t.Run(tc.monitor+"/"+tc.location+"/"+tc.status, func(t *testing.T) {
			assert.Equal(t, tc.want, value(t, m, "vigil_checks_total", checks(tc.monitor, tc.location, tc.status)))
		})
	}

	t.Run("duration by type", func(t *testing.T) {
		n, sum := histogram(t, m, "vigil_check_duration_seconds", map[string]string{"type": "http"})
		assert.Equal(t, uint64(4), n)
		assert.InDelta(t, 4*0.200123, sum, 1e-9, "microseconds become seconds")
		n, _ = histogram(t, m, "vigil_check_duration_seconds", map[string]string{"type": "tcp"})
		assert.Zero(t, n)
	})
}

func TestObserveCheckStartDelay(t *testing.T) {
	// storetest.NewResult schedules 250ms and starts 200ms before its
	// timestamp: a start delay of 50ms.
	const delay = 0.050
	tests := []struct {
		name      string
		attempt   int
		scheduled bool
		observed  bool
	}{
		{name: "first attempt of a scheduled run", attempt: 1, scheduled: true, observed: true},
		{name: "first attempt, started by hand", attempt: 1, scheduled: false, observed: false},
		{name: "confirmation attempt", attempt: 2, scheduled: true, observed: false},
		{name: "third attempt", attempt: 3, scheduled: true, observed: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := metrics.New()
			m.ObserveCheck(check("1", "shop", "local", result.StatusUp, tc.attempt, tc.scheduled))
			n, sum := histogram(t, m, "vigil_check_start_delay_seconds", nil)
			if !tc.observed {
				assert.Zero(t, n)
				return
			}
			assert.Equal(t, uint64(1), n)
			assert.InDelta(t, delay, sum, 1e-9)
			assert.Equal(t, 1.0, value(t, m, "vigil_checks_total", checks("shop", "local", result.StatusUp)),
				"counted whatever the attempt")
		})
	}

	t.Run("accumulates", func(t *testing.T) {
		m := metrics.New()
		late := check("2", "shop", "local", result.StatusUp, 1, true)
		at := late.Vigil.StartedAt.Add(-3 * time.Second)
		late.Vigil.ScheduledAt = &at
		m.ObserveCheck(check("1", "shop", "local", result.StatusUp, 1, true))
		m.ObserveCheck(late)
		n, sum := histogram(t, m, "vigil_check_start_delay_seconds", nil)
		assert.Equal(t, uint64(2), n)
		assert.InDelta(t, delay+3, sum, 1e-9)
	})
}

func catalogMonitor(id string, stale bool) store.CatalogMonitor {
	return store.CatalogMonitor{Monitor: monitor.Monitor{ID: id, Type: monitor.TypeHTTP}, Commit: "abc", Stale: stale}
}

func TestObserveSync(t *testing.T) {
	verr := monitor.ValidationError{File: "monitors/a.yaml", Line: 1, Column: 1, MonitorID: "a", Message: "bad"}
	tests := []struct {
		name         string
		catalog      store.Catalog
		outcome      string
		valid, stale float64
		errors       float64
	}{
		{
			name:    "ok",
			catalog: store.Catalog{Monitors: []store.CatalogMonitor{catalogMonitor("a", false), catalogMonitor("b", false)}},
			outcome: "ok", valid: 2, stale: 0, errors: 0,
		},
		{
			name: "invalid",
			catalog: store.Catalog{
				Monitors: []store.CatalogMonitor{catalogMonitor("a", true), catalogMonitor("b", false), catalogMonitor("c", false)},
				Errors:   []monitor.ValidationError{verr, {File: "monitors/z.yaml", Message: "not YAML"}},
			},
			outcome: "invalid", valid: 2, stale: 1, errors: 2,
		},
		{
			name: "fetch error wins over validation errors",
			catalog: store.Catalog{
				FetchError: "git fetch: connection refused",
				Monitors:   []store.CatalogMonitor{catalogMonitor("a", true)},
				Errors:     []monitor.ValidationError{verr},
			},
			outcome: "fetch_error", valid: 0, stale: 1, errors: 1,
		},
		{
			name:    "empty repository",
			catalog: store.Catalog{},
			outcome: "ok", valid: 0, stale: 0, errors: 0,
		},
	}
	outcomes := []string{"ok", "invalid", "fetch_error"}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := metrics.New()
			tc.catalog.SyncedAt = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
			m.ObserveSync(tc.catalog)
			for _, o := range outcomes {
				want := 0.0
				if o == tc.outcome {
					want = 1
				}
				assert.Equal(t, want, value(t, m, "vigil_syncs_total", map[string]string{"outcome": o}), o)
			}
			assert.Equal(t, tc.valid, value(t, m, "vigil_monitors", map[string]string{"state": "valid"}))
			assert.Equal(t, tc.stale, value(t, m, "vigil_monitors", map[string]string{"state": "stale"}))
			assert.NotNil(t, find(t, m, "vigil_monitors", map[string]string{"state": "stale"}), "stale is exported even at 0")
			assert.Equal(t, tc.errors, value(t, m, "vigil_monitor_validation_errors", nil))
			ts := value(t, m, "vigil_last_sync_timestamp_seconds", nil)
			assert.Equal(t, float64(tc.catalog.SyncedAt.Unix()), ts, "the sync's own time")
		})
	}

	t.Run("counters accumulate, gauges follow the last sync", func(t *testing.T) {
		m := metrics.New()
		for _, tc := range tests {
			m.ObserveSync(tc.catalog)
		}
		m.ObserveSync(tests[0].catalog)
		assert.Equal(t, 3.0, value(t, m, "vigil_syncs_total", map[string]string{"outcome": "ok"}))
		assert.Equal(t, 1.0, value(t, m, "vigil_syncs_total", map[string]string{"outcome": "invalid"}))
		assert.Equal(t, 1.0, value(t, m, "vigil_syncs_total", map[string]string{"outcome": "fetch_error"}))
		assert.Equal(t, 2.0, value(t, m, "vigil_monitors", map[string]string{"state": "valid"}))
		assert.Equal(t, 0.0, value(t, m, "vigil_monitors", map[string]string{"state": "stale"}))
		assert.Equal(t, 0.0, value(t, m, "vigil_monitor_validation_errors", nil))
	})
}

func TestHandler(t *testing.T) {
	m := metrics.New()
	m.ObserveCheck(check("1", "shop", "local", result.StatusDown, 1, true))
	m.ObserveSync(store.Catalog{Monitors: []store.CatalogMonitor{catalogMonitor("shop", false)}})

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	require.Equal(t, 200, rec.Code)
	assert.True(t, strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain"), rec.Header().Get("Content-Type"))
	body := rec.Body.String()
	for _, want := range []string{
		`vigil_checks_total{location="local",monitor="shop",status="down"} 1`,
		`vigil_check_duration_seconds_count{type="http"} 1`,
		`vigil_check_start_delay_seconds_count 1`,
		`vigil_syncs_total{outcome="ok"} 1`,
		`vigil_monitors{state="valid"} 1`,
		`vigil_monitors{state="stale"} 0`,
		`vigil_monitor_validation_errors 0`,
		`vigil_last_sync_timestamp_seconds `,
		`go_goroutines `,
		`process_`, // process collector (Linux)
	} {
		assert.Contains(t, body, want)
	}
}

func TestRegistryIsPerInstance(t *testing.T) {
	a, b := metrics.New(), metrics.New() // no global registry: no duplicate registration panic
	a.ObserveCheck(check("1", "shop", "local", result.StatusUp, 1, true))
	assert.Equal(t, 1.0, value(t, a, "vigil_checks_total", checks("shop", "local", result.StatusUp)))
	assert.Equal(t, 0.0, value(t, b, "vigil_checks_total", checks("shop", "local", result.StatusUp)))
}
