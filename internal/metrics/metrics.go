// Package metrics exposes vigil's Prometheus metrics from one registry that
// is passed to whoever records them (no global registry).
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/store"
)

// Metrics records checks and syncs.
type Metrics struct {
	reg           *prometheus.Registry
	checks        *prometheus.CounterVec
	checkDuration *prometheus.HistogramVec
	scheduleDelay prometheus.Histogram
	syncs         *prometheus.CounterVec
	monitors      *prometheus.GaugeVec
	invalidFiles  prometheus.Gauge
	lastSyncTime  prometheus.Gauge
}

// New registers vigil's metrics and the Go and process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_checks_total", Help: "Check attempts by monitor, location and status.",
		}, []string{"monitor", "location", "status"}),
		checkDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "vigil_check_duration_seconds", Help: "Duration of check attempts by monitor type.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}, []string{"type"}),
		scheduleDelay: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "vigil_check_start_delay_seconds", Help: "From the schedule's fire time to the check's start.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}),
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_syncs_total", Help: "Syncs of the monitors repository by outcome (ok, invalid, fetch_error).",
		}, []string{"outcome"}),
		monitors: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vigil_monitors", Help: "Monitors in force after the last sync; stale ones run their last valid version.",
		}, []string{"state"}),
		invalidFiles: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vigil_monitor_validation_errors", Help: "Validation errors found by the last sync.",
		}),
		lastSyncTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vigil_last_sync_timestamp_seconds", Help: "When the monitors repository was last synced.",
		}),
	}
	m.reg.MustRegister(m.checks, m.checkDuration, m.scheduleDelay, m.syncs, m.monitors, m.invalidFiles, m.lastSyncTime,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry lets other components register their collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveCheck records one check attempt.
func (m *Metrics) ObserveCheck(r result.Result) {
	m.checks.WithLabelValues(r.Monitor.ID, r.Observer.Name, r.Monitor.Status).Inc()
	m.checkDuration.WithLabelValues(r.Monitor.Type).Observe(float64(r.Monitor.Duration.US) / 1e6)
	if r.Vigil.ScheduledAt != nil && r.Vigil.Attempt == 1 {
		m.scheduleDelay.Observe(r.Vigil.StartedAt.Sub(*r.Vigil.ScheduledAt).Seconds())
	}
}

// ObserveSync records one sync.
func (m *Metrics) ObserveSync(c store.Catalog) {
	outcome := "ok"
	switch {
	case c.FetchError != "":
		outcome = "fetch_error"
	case len(c.Errors) > 0:
		outcome = "invalid"
	}
	m.syncs.WithLabelValues(outcome).Inc()
	stale := 0
	for _, cm := range c.Monitors {
		if cm.Stale {
			stale++
		}
	}
	m.monitors.WithLabelValues("valid").Set(float64(len(c.Monitors) - stale))
	m.monitors.WithLabelValues("stale").Set(float64(stale))
	m.invalidFiles.Set(float64(len(c.Errors)))
	m.lastSyncTime.Set(float64(c.SyncedAt.Unix()))
}
