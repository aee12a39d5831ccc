package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/store"
)

func numCPU() int { return runtime.GOMAXPROCS(0) }

type latencyResult struct {
	runs                int
	monitors            int
	every               time.Duration
	startP50, startP99  time.Duration
	storedP50, storeP99 time.Duration
}

func latencyScenario(ctx context.Context, h *harness, target string, o options) (latencyResult, error) {
	files := map[string]string{}
	for i := range o.latencyMonitors {
		files[fmt.Sprintf("lat-%03d.yaml", i)] = httpMonitorYAML(fmt.Sprintf("lat-%03d", i), o.latencyEvery, target)
	}
	if err := h.syncDir(ctx, "latency", files); err != nil {
		return latencyResult{}, err
	}
	since := time.Now().Add(2 * time.Second) // skip the first fires, while workers warm up
	var rs []result.Result
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		time.Sleep(time.Second)
		all, err := h.store.ListResults(ctx, store.ResultQuery{Since: since, Limit: 100000})
		if err != nil {
			return latencyResult{}, err
		}
		rs = withSchedule(all)
		if len(rs) >= o.latencyRuns {
			break
		}
	}
	h.deleteSchedules(ctx)
	if len(rs) < o.latencyRuns {
		return latencyResult{}, fmt.Errorf("only %d runs stored in 10 minutes", len(rs))
	}
	var start, stored []time.Duration
	for _, r := range rs {
		start = append(start, r.Vigil.StartedAt.Sub(*r.Vigil.ScheduledAt))
		stored = append(stored, r.Vigil.StoredAt.Sub(r.Vigil.FinishedAt))
	}
	return latencyResult{runs: len(rs), monitors: o.latencyMonitors, every: o.latencyEvery, startP50: pct(start, 50), startP99: pct(start, 99),
		storedP50: pct(stored, 50), storeP99: pct(stored, 99)}, nil
}

func withSchedule(rs []result.Result) []result.Result {
	var out []result.Result
	for _, r := range rs {
		if r.Vigil.ScheduledAt != nil && r.Vigil.StoredAt != nil {
			out = append(out, r)
		}
	}
	return out
}

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*p + 99) / 100
	if i < 1 {
		i = 1
	}
	return s[i-1]
}

func printLatency(l latencyResult) {
	fmt.Printf("\n== orchestration latency (%d runs of %d monitors every %s)\n", l.runs, l.monitors, l.every)
	fmt.Printf("schedule fire -> check start   p50 %8s   p99 %8s   (target p50 <= 100ms)\n", ms(l.startP50), ms(l.startP99))
	fmt.Printf("check end -> result stored     p50 %8s   p99 %8s   (target p50 <= 100ms)\n", ms(l.storedP50), ms(l.storeP99))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/1e6) }

type loadResult struct {
	expected, got, missed, late int
	cpu                         time.Duration
	window                      time.Duration
	startP50, startP99          time.Duration
}

type baselineResult struct {
	checks int
	cpu    time.Duration
	window time.Duration
}

func loadScenario(ctx context.Context, h *harness, target string, o options) (loadResult, error) {
	files := map[string]string{}
	for i := range o.monitors {
		files[fmt.Sprintf("load-%04d.yaml", i)] = httpMonitorYAML(fmt.Sprintf("load-%04d", i), o.every, target)
	}
	began := time.Now()
	if err := h.syncDir(ctx, "load", files); err != nil {
		return loadResult{}, err
	}
	fmt.Printf("load: %d schedules created in %s\n", o.monitors, time.Since(began).Round(time.Millisecond))
	// Start measuring once every schedule has had a full interval to settle.
	t0 := time.Now().Add(o.every).Truncate(time.Second)
	time.Sleep(time.Until(t0))
	next, err := nextFires(ctx, h)
	if err != nil {
		return loadResult{}, err
	}
	cpu0 := cpuTime()
	t1 := t0.Add(o.duration)
	time.Sleep(time.Until(t1))
	cpu1 := cpuTime()
	time.Sleep(15 * time.Second) // let runs fired before t1 finish
	h.deleteSchedules(ctx)

	res := loadResult{cpu: cpu1 - cpu0, window: o.duration}
	want := map[string]map[int64]bool{}
	for id, first := range next {
		want[id] = map[int64]bool{}
		for t := first; t.Before(t1); t = t.Add(o.every) {
			if !t.Before(t0) {
				want[id][t.Unix()] = true
				res.expected++
			}
		}
	}
	all, err := h.store.ListResults(ctx, store.ResultQuery{Since: t0.Add(-time.Minute), Limit: 10000000})
	if err != nil {
		return loadResult{}, err
	}
	var starts []time.Duration
	for _, r := range withSchedule(all) {
		s := *r.Vigil.ScheduledAt
		if !want[r.Monitor.ID][s.Unix()] {
			continue
		}
		delete(want[r.Monitor.ID], s.Unix())
		res.got++
		d := r.Vigil.StartedAt.Sub(s)
		starts = append(starts, d)
		if d > 5*time.Second {
			res.late++
		}
	}
	res.missed = res.expected - res.got
	res.startP50, res.startP99 = pct(starts, 50), pct(starts, 99)
	return res, nil
}

// nextFires asks Temporal when each monitor schedule fires next.
func nextFires(ctx context.Context, h *harness) (map[string]time.Time, error) {
	it, err := h.client.ScheduleClient().List(ctx, client.ScheduleListOptions{PageSize: 1000})
	if err != nil {
		return nil, err
	}
	out := map[string]time.Time{}
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return nil, err
		}
		if id, ok := strings.CutPrefix(e.ID, contract.MonitorSchedulePrefix); ok && len(e.NextActionTimes) > 0 {
			out[id] = e.NextActionTimes[0]
		}
	}
	return out, nil
}

// baseline makes the same checks at the same rate with a plain Go loop:
// net/http GETs, a status assertion, the same concurrency.
func baseline(ctx context.Context, target string, o options) (baselineResult, error) {
	gap := o.every / time.Duration(o.monitors)
	jobs := make(chan struct{}, o.monitors)
	var wg sync.WaitGroup
	var mu sync.Mutex
	checks, failures := 0, 0
	for range o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
			for range jobs {
				ok := baselineCheck(ctx, c, target)
				mu.Lock()
				checks++
				if !ok {
					failures++
				}
				mu.Unlock()
			}
		}()
	}
	cpu0, t0 := cpuTime(), time.Now()
	tick := time.NewTicker(gap)
	for time.Since(t0) < o.duration {
		<-tick.C
		jobs <- struct{}{}
	}
	tick.Stop()
	close(jobs)
	wg.Wait()
	b := baselineResult{checks: checks, cpu: cpuTime() - cpu0, window: time.Since(t0)}
	if failures > 0 {
		return b, fmt.Errorf("baseline: %d of %d checks failed", failures, checks)
	}
	return b, nil
}

func baselineCheck(ctx context.Context, c *http.Client, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode == http.StatusOK
}

func printBaseline(b baselineResult) {
	fmt.Printf("\n== baseline: plain Go loop (net/http, same rate and concurrency)\n")
	fmt.Printf("checks %d in %s, CPU %s, CPU per check %s\n", b.checks, b.window.Round(time.Second),
		b.cpu.Round(time.Millisecond), perCheck(b.cpu, b.checks))
}

func printLoad(l loadResult, b baselineResult) {
	rate := float64(l.expected) / l.window.Minutes()
	fmt.Printf("\n== load: vigil (%d expected runs in %s, %.0f checks/min)\n", l.expected, l.window, rate)
	fmt.Printf("runs stored %d, missed %d, started > 5s late %d (target 0 and 0)\n", l.got, l.missed, l.late)
	fmt.Printf("schedule fire -> check start under load: p50 %s p99 %s\n", ms(l.startP50), ms(l.startP99))
	fmt.Printf("CPU %s, CPU per check %s\n", l.cpu.Round(time.Millisecond), perCheck(l.cpu, l.got))
	if b.checks > 0 && l.got > 0 {
		ratio := (l.cpu.Seconds() / float64(l.got)) / (b.cpu.Seconds() / float64(b.checks))
		fmt.Printf("vigil CPU per check / baseline CPU per check = %.1fx\n", ratio)
	}
}

func perCheck(cpu time.Duration, n int) string {
	if n == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.3fms", cpu.Seconds()*1000/float64(n))
}
