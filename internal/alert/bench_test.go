package alert

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
)

// benchData is 1,000 monitors in 4 locations, 20,000 results over the last
// 20 minutes (one in ten down), and 1,000 rules of mixed kinds, most of
// them naming a few monitors, one in seven a tag, one in seven every
// monitor.
func benchData() ([]Rule, Data) {
	locations := []string{"eu-west", "us-east", "ap-south", "sa-east"}
	var monitors []monitor.Monitor
	for i := range 1000 {
		monitors = append(monitors, mon(fmt.Sprintf("m%04d", i), time.Minute, fmt.Sprintf("team%d", i%20)))
	}
	var rs []result.Result
	for i := range 20000 {
		b := res(fmt.Sprintf("m%04d", i%1000), locations[i%4], time.Duration(i/1000)*time.Minute+time.Duration(i%60)*time.Second)
		b.r.ID = fmt.Sprintf("r%d", i)
		b.step("home", true, time.Duration(100+i%900)*time.Millisecond, map[string]string{"Cache-Control": "max-age=60"})
		if i%10 == 0 {
			b.down("io", fmt.Sprintf("timeout after %dms talking to 10.0.%d.%d", 1000+i%7, i%255, i%13))
		}
		if i%1000 < 100 {
			b.browser(float64(1000+i%3000), 0.01, "cdn.example.com", fmt.Sprintf("t%d.tracker.io", i%5))
		}
		rs = append(rs, b.r)
	}
	kinds := []string{
		"kind: consecutive_failures\n    threshold: 3",
		"kind: failure_count\n    threshold: 2\n    window: 10m",
		"kind: failure_ratio\n    ratio: 0.3\n    window: 10m\n    condition: 'total > 3'",
		"kind: latency\n    measure: duration\n    above: 800ms\n    window: 10m",
		"kind: new_error\n    window: 5m\n    baseline: 15m",
		"kind: error_spike\n    window: 5m\n    baseline: 15m\n    factor: 3",
		"kind: unexpected_resource\n    allowed_domains: [example.com]\n    window: 10m",
		"kind: response_header\n    header: Cache-Control\n    expect: matches\n    matches: 'max-age'\n    window: 10m",
		"kind: no_data\n    target: monitor\n    for: 5m",
		"kind: latency\n    measure: step.duration\n    above: 800ms\n    window: 10m\n    group_by: [location, step]",
	}
	src := "rules:\n"
	for i := range 1000 {
		sel := fmt.Sprintf("    monitors: [m%04d, m%04d, m%04d]\n", i, (i+1)%1000, (i+7)%1000)
		switch {
		case i%7 == 6:
			sel = "" // every monitor
		case i%7 == 5:
			sel = fmt.Sprintf("    tags: [team%d]\n", i%20)
		}
		src += fmt.Sprintf("  - name: rule-%d\n    %s\n%s", i, kinds[i%len(kinds)], sel)
	}
	rules := mustRules(benchT{}, src)
	return rules, Data{Now: t0, Results: rs, Monitors: monitors}
}

// benchT lets mustRules run outside a test.
type benchT struct{}

func (benchT) Helper()                      {}
func (benchT) Fatalf(f string, args ...any) { panic(fmt.Sprintf(f, args...)) }

func BenchmarkEvaluate(b *testing.B) {
	rules, d := benchData()
	c, errs := Compile(rules)
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	b.ResetTimer()
	b.ReportAllocs()
	var n int
	for b.Loop() {
		alerts, errs := c.Evaluate(d)
		if len(errs) > 0 {
			b.Fatal(errs)
		}
		n = len(alerts)
	}
	b.ReportMetric(float64(n), "alerts")
}

func BenchmarkCompile(b *testing.B) {
	rules, _ := benchData()
	for b.Loop() {
		Compile(rules)
	}
}
