package alert

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/monitor"
)

func TestNoData(t *testing.T) {
	paused := mon("paused", time.Minute)
	paused.Paused = true
	monitors := []monitor.Monitor{mon("fast", time.Minute), mon("slow", 10*time.Minute), mon("never", time.Minute), paused}
	rs := results(
		res("fast", "eu", 8*m), res("fast", "us", 1*m),
		res("slow", "eu", 20*m), // grace 3 × 10m: not late
		res("gone", "ap", 50*m), // a location last heard from 50m ago
	)
	tests := []struct {
		name, rule string
		want       []string
	}{
		{"monitor", "kind: no_data\ntarget: monitor\nfor: 5m",
			[]string{"r.fast false 60", "r.never true 0", "r.slow false 1200"}},
		{"monitor in one location", "kind: no_data\ntarget: monitor\nfor: 5m\nlocations: [eu]\nmonitors: [fast]",
			[]string{"r.fast true 480"}},
		{"location", "kind: no_data\ntarget: location\nfor: 5m",
			[]string{"r.ap true 3000", "r.eu true 480", "r.us false 60"}},
		{"listed location never seen", "kind: no_data\ntarget: location\nfor: 5m\nlocations: [us, mars]",
			[]string{"r.mars true 0", "r.us false 60"}},
		{"location baseline", "kind: no_data\ntarget: location\nfor: 5m\nbaseline: 30m",
			[]string{"r.eu true 480", "r.us false 60"}},
		{"service", "kind: no_data\ntarget: service\nfor: 5m\nservices: [api, db, cache]",
			[]string{"r.api false 60", "r.cache true 0", "r.db true 600"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules := mustRules(t, "rules:\n  - name: r\n"+indent(tt.rule))
			alerts, errs := Evaluate(rules, Data{Now: t0, Results: rs, Monitors: monitors,
				LastSpan:     map[string]time.Time{"api": t0.Add(-m), "db": t0.Add(-10 * m)},
				MonitorSince: map[string]time.Time{"fast": t0.Add(-2 * time.Hour), "slow": t0.Add(-2 * time.Hour), "never": t0.Add(-2 * time.Hour)}})
			require.Empty(t, errs)
			assert.Equal(t, tt.want, brief(alerts))
		})
	}
}

// TestNoDataNewMonitorIsNotSilentYet: at a first start nothing has run; a
// monitor without results is silent only once expected longer than its
// grace (and never when when it came into force is unknown).
func TestNoDataNewMonitorIsNotSilentYet(t *testing.T) {
	rules := mustRules(t, "rules:\n  - name: r\n    kind: no_data\n    target: monitor\n    for: 5m\n")
	monitors := []monitor.Monitor{mon("new", time.Minute), mon("old", time.Minute), mon("unknown", time.Minute)}
	alerts, errs := Evaluate(rules, Data{Now: t0, Monitors: monitors,
		MonitorSince: map[string]time.Time{"new": t0.Add(-time.Minute), "old": t0.Add(-time.Hour)}})
	require.Empty(t, errs)
	assert.Equal(t, []string{"r.new false 0", "r.old true 0", "r.unknown false 0"}, brief(alerts))
}

func TestNoDataSummary(t *testing.T) {
	rules := mustRules(t, "rules:\n  - name: r\n    kind: no_data\n    target: monitor\n    for: 5m\n")
	alerts, _ := Evaluate(rules, Data{Now: t0, Results: results(res("a", "eu", 8*m)), Monitors: []monitor.Monitor{mon("a", time.Minute)}})
	require.Len(t, alerts, 1)
	assert.Equal(t, "last results from monitor a 8m ago (alert after 5m) (runs every 1m)", alerts[0].Summary)
}

func TestLookback(t *testing.T) {
	rules := mustRules(t, `rules:
  - name: cf
    kind: consecutive_failures
    threshold: 3
  - name: spike
    kind: error_spike
    window: 10m
    baseline: 1h
    factor: 5
  - name: nd
    kind: no_data
    target: monitor
    for: 5m
`)
	assert.Equal(t, 70*m, Lookback(rules), "window + baseline beats 4 × the assumed 5m")
	assert.Equal(t, 4*time.Hour, Lookback(rules, mon("hourly", time.Hour)), "no_data: 3 intervals of grace + 1")
	cron := monitor.Monitor{ID: "c", Schedule: monitor.Schedule{Cron: "*/15 * * * *"}}
	assert.Equal(t, 15*m, Interval(&cron))
}
