package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-dev/vigil/agent/agentcli"
	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/redact"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/store/sqlite"
)

// meter measures a target's throughput over one window of a continuous
// load, starting after the agent was paused or resumed.
type meter interface {
	window() (rate float64, err error)
}

// counterMeter reads a count of served requests before and after a window.
type counterMeter struct {
	count  func() (uint64, error)
	w      time.Duration
	settle time.Duration // let the switch take effect
}

func (m counterMeter) window() (float64, error) {
	time.Sleep(m.settle)
	c0, err := m.count()
	if err != nil {
		return 0, err
	}
	t0 := time.Now()
	time.Sleep(m.w)
	c1, err := m.count()
	if err != nil {
		return 0, err
	}
	return float64(c1-c0) / time.Since(t0).Seconds(), nil
}

// interleaved runs one continuous load and switches the agent's capture
// off and on every window, so the baseline and traced windows see the same
// process, connections and moment: on this VM the host's load changes
// throughput by tens of percent over seconds, more than what is measured.
// Each traced window is compared with the mean of the windows either side.
func interleaved(t *target, pairs int, w time.Duration) error {
	ba, err := startBenchAgent(t)
	if err != nil {
		return err
	}
	defer ba.close()
	emb, reg := ba.emb, ba.reg
	capture := emb.Agent().Capture()

	m, stopLoad, err := t.continuous(time.Duration(2*pairs+3) * 3 * w)
	if err != nil {
		return err
	}
	defer stopLoad()
	var off, on, srvOff, srvOn []float64
	for i := 0; i < 2*pairs+1; i++ {
		traced := i%2 == 1
		if err := setTraced(capture, traced); err != nil {
			return err
		}
		cpu0 := procCPU(t.pid)
		t0 := time.Now()
		rate, err := m.window()
		if err != nil {
			return err
		}
		if rate == 0 {
			return fmt.Errorf("window %d: no requests served: the load generator stopped", i+1)
		}
		// The server's CPU per request, over the settle time too: a rough
		// view, for targets whose server is one process.
		perReq := (procCPU(t.pid) - cpu0).Seconds() / (rate * time.Since(t0).Seconds())
		if traced {
			on, srvOn = append(on, rate), append(srvOn, perReq)
		} else {
			off, srvOff = append(off, rate), append(srvOff, perReq)
		}
	}
	// One more traced window with run-time statistics, which cost time
	// themselves, for the kernel time per program run.
	if err := capture.Resume(); err != nil {
		return err
	}
	setBPFStats(true)
	progs := capture.Programs()
	before := programStats(progs)
	ks0, _ := capture.Stats()
	cpu0 := cpuTime()
	if _, err := m.window(); err != nil {
		setBPFStats(false)
		return err
	}
	after := programStats(progs)
	agentCPU := cpuTime() - cpu0
	writeHeapProfile()
	setBPFStats(false)
	ks, _ := capture.Stats()
	ratios, srvRatios := perWindow(on, off, tracedOverBase), perWindow(srvOn, srvOff, baseOverTraced)
	fmt.Printf("interleaved: %d traced windows between %d untraced ones, about %s each, in one continuous load\n", len(on), len(off), w)
	fmt.Printf("  window ratios: %s\n", percents(ratios))
	fmt.Printf("throughput with the agent (interleaved): %.1f%% of baseline (median of %d; middle half %.1f%%–%.1f%%; medians %.0f vs %.0f per s; target >= 97%%)\n",
		100*median(ratios), len(ratios), 100*quantile(ratios, 0.25), 100*quantile(ratios, 0.75), median(on), median(off))
	if t.port == 0 {
		fmt.Printf("  traced server's own CPU per request, baseline over traced: %.1f%% (median)\n", 100*median(srvRatios))
	}
	fmt.Printf("  agent: %d data events, %d ring-buffer drops, user-space drops %s, parse errors %s\n",
		ks.DataEvents, ks.DataDrops+ks.CtrlDrops, counters(reg, "vigil_agent_dropped_total", "reason"), counters(reg, "vigil_agent_parse_errors_total", "reason"))
	if runs := after.runs - before.runs; runs > 0 {
		fmt.Printf("kernel time per BPF program run (a last traced window with kernel.bpf_stats_enabled): %.0f ns (target <= 1000 ns)", float64(after.ns-before.ns)/float64(runs))
		if events := ks.DataEvents - ks0.DataEvents; events > 0 {
			fmt.Printf("; all programs' time per data event: %.0f ns", float64(after.ns-before.ns)/float64(events))
		}
		fmt.Println()
		for _, name := range sortedKeys(after.each) {
			a, b := after.each[name], before.each[name]
			if n := a[1] - b[1]; n > 0 {
				fmt.Printf("  %s %d runs %.0f ns\n", name, n, float64(a[0]-b[0])/float64(n))
			}
		}
	}
	fmt.Printf("agent process: max RSS %d MiB; CPU %.2f s in the last window (with its switch)\n", maxRSS()>>20, agentCPU.Seconds())
	return nil
}

// agentConfig is the agent's configuration for a target: the server's
// process, or its cgroup (else port) where it forks a process per
// connection.
func agentConfig(t *target) config.Agent {
	cfg := config.DefaultAgent()
	cfg.Hooks = hooks
	if ringBytes > 0 {
		cfg.RingBufferBytes = ringBytes
	}
	if wakeupBytes >= 0 {
		cfg.WakeupBytes = wakeupBytes
	}
	cfg.PIDs = []int{t.pid} // the server only, as a DaemonSet scoped to the app would
	switch {
	case t.cgroup != "":
		cfg.PIDs, cfg.Cgroups = nil, []string{t.cgroup}
	case t.port != 0:
		cfg.PIDs, cfg.Ports = nil, []int{t.port}
	}
	if traceNothing {
		cfg.PIDs, cfg.Cgroups, cfg.Ports = []int{1 << 30}, nil, nil // no such process
	}
	return cfg
}

// perWindow applies f to each traced window's value and the mean of the
// untraced windows either side of it (off has one more).
func perWindow(on, off []float64, f func(traced, base float64) float64) []float64 {
	r := make([]float64, len(on))
	for i := range on {
		r[i] = f(on[i], (off[i]+off[i+1])/2)
	}
	return r
}

// Throughput is compared traced over baseline; a cost, baseline over traced.
func tracedOverBase(traced, base float64) float64 { return traced / base }
func baseOverTraced(traced, base float64) float64 { return base / traced }

func quantile(v []float64, q float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[int(q*float64(len(s)-1)+0.5)]
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// benchAgent is an agent as `vigil agent` runs it (spool and embedded store
// included, or spans discarded with -discard) capturing a target.
type benchAgent struct {
	emb     *agentcli.Embedded
	reg     *prometheus.Registry
	discard *discardWriter
	stopped bool
	close   func() // stops the agent, closes and removes its store
}

// stop stops the agent once, flushing its spans.
func (ba *benchAgent) stop() error {
	if ba.stopped {
		return nil
	}
	ba.stopped = true
	return ba.emb.Stop()
}

func startBenchAgent(t *target) (*benchAgent, error) {
	dir, err := os.MkdirTemp("", "vigil-agent-bench-")
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "vigil.db"), sqlite.Options{Logger: log})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	ba := &benchAgent{reg: prometheus.NewRegistry(), discard: &discardWriter{}}
	var sink store.SpanWriter = db
	if discard {
		sink = ba.discard
	}
	ba.emb, err = agentcli.Start(ctx, agentConfig(t), dir, sink, redact.MustNew(redact.Default()).Span, ba.reg, nil, log)
	if err != nil {
		db.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	ba.close = func() {
		_ = ba.stop()
		db.Close()
		os.RemoveAll(dir)
	}
	return ba, nil
}
