// Command vigil-agent-bench measures what the node agent costs the traced
// application: loopback HTTP throughput under wrk with the agent capturing
// the server against the same load without it (alternating rounds in one
// run), the kernel time per BPF program run (kernel.bpf_stats_enabled, in
// a run of its own: the statistics cost time themselves), the
// events and spans handled, ring-buffer drops and the agent's memory.
// It needs root and wrk.
package main

import (
	"bufio"
	"cmp"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-dev/vigil/agent"
	"github.com/vigil-dev/vigil/internal/span"
)

var discard, traceNothing, pin, split bool

var hooks string

var ringBytes, wakeupBytes int

var memProfile string

var paceRate float64

// writeHeapProfile writes the heap profile -memprofile asks for.
func writeHeapProfile() {
	if memProfile == "" {
		return
	}
	f, err := os.Create(memProfile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vigil-agent-bench: heap profile:", err)
		return
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "vigil-agent-bench: heap profile:", err)
	}
}

var (
	interleavePairs  int
	interleaveWindow time.Duration
)

// discardWriter counts spans and keeps none.
type discardWriter struct{ n atomic.Int64 }

func (d *discardWriter) WriteSpans(_ context.Context, s []span.Span) error {
	d.n.Add(int64(len(s)))
	return nil
}

func main() {
	if os.Getenv("VIGIL_BENCH_SERVE") == "1" {
		if err := serve(os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if ok, err := blastFromEnv(); ok {
		fmt.Fprintln(os.Stderr, "vigil-agent-bench: ramp load:", err)
		os.Exit(1)
	}
	if ok, err := paceFromEnv(); ok {
		if err != nil {
			fmt.Fprintln(os.Stderr, "vigil-agent-bench: paced load:", err)
			os.Exit(1)
		}
		return
	}
	duration := flag.Duration("duration", 6*time.Second, "length of each wrk run")
	conns := flag.Int("conns", 16, "wrk connections")
	rounds := flag.Int("rounds", 5, "baseline/agent round pairs")
	path := flag.String("path", "/hello", "request path: /hello (17 bytes, the worst case) or /api/products?page=3 (a 2.5 KB JSON page)")
	profile := flag.String("cpuprofile", "", "write the agent process's CPU profile here")
	flag.Float64Var(&paceRate, "rate", 0, "instead of saturating the server, send it this many requests per second (HTTP GETs, Redis GETs, pgbench -R transactions) and report the agent's CPU share and the server's CPU per request (windows as -interleave, default 10)")
	flag.StringVar(&memProfile, "memprofile", "", "write the agent process's heap profile here, taken at the end of the last traced window")
	flag.BoolVar(&discard, "discard", false, "drop spans instead of storing them (isolates capture and parsing)")
	flag.BoolVar(&pin, "pin", false, "the application (server, GOMAXPROCS=1 for Go, and its load generator) on CPU 0, the agent alone on the other CPUs, as a DaemonSet given its own CPU: measures what the traced application pays")
	flag.BoolVar(&split, "split", false, "the server (GOMAXPROCS=1 for Go) on CPU 0, its load generator on CPU 1, the agent on every CPU: the agent still competes with both, but the scheduler no longer decides whether server and client share a CPU (a placement that moves Redis's baseline by tens of percent)")
	flag.BoolVar(&traceNothing, "trace-nothing", false, "attach the programs but trace no process (isolates the tracepoints' own cost)")
	flag.IntVar(&interleavePairs, "interleave", 0, "instead of rounds, N traced windows between N+1 untraced ones in one continuous load (the agent paused and resumed)")
	flag.DurationVar(&interleaveWindow, "window", time.Second, "length of an -interleave window")
	flag.StringVar(&hooks, "hooks", "auto", "capture hooks: socket (socket-layer tracepoints), syscall (syscall-exit tracepoint) or auto")
	flag.IntVar(&ringBytes, "ring", 0, "agent ring buffer bytes (0: the default)")
	flag.IntVar(&wakeupBytes, "wakeup", -1, "agent wakeup threshold in bytes (-1: the default)")
	rampMode := flag.Bool("ramp", false, "instead of a server, raise a traced loopback HTTP exchange rate step by step (steps of -window) and report the highest event rate the agent takes with zero drops")
	kind := flag.String("target", "http", "traced server: http (Go server, wrk), redis (redis-server, redis-benchmark -P 16) or postgres (pgbench -M prepared -S)")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	if pin && split {
		fmt.Fprintln(os.Stderr, "vigil-agent-bench: -pin and -split are two layouts: choose one")
		os.Exit(2)
	}
	if pin {
		if err := pinSelf(); err != nil {
			fmt.Fprintln(os.Stderr, "vigil-agent-bench: pinning:", err)
			os.Exit(1)
		}
	}
	runIt := func() error { return run(*kind, *duration, *conns, *rounds, *path) }
	if *rampMode {
		runIt = func() error { return ramp(interleaveWindow) }
	}
	if err := runIt(); err != nil {
		fmt.Fprintln(os.Stderr, "vigil-agent-bench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(kind string, d time.Duration, conns, rounds int, path string) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("needs root to load BPF programs")
	}
	var t *target
	var err error
	switch kind {
	case "http":
		t, err = httpTarget(conns, path)
	case "redis":
		t, err = redisTarget()
	case "postgres":
		t, err = postgresTarget()
	default:
		err = fmt.Errorf("unknown -target %q: http, redis or postgres", kind)
	}
	if err != nil {
		return err
	}
	defer t.stop()
	// BPF run-time statistics cost two clock reads per program run (on a
	// VM, a paravirtual clock: here as much as the programs themselves), so
	// the throughput rounds run without them and one more traced run
	// measures the kernel time.
	setBPFStats(false)
	defer setBPFStats(false)
	if interleavePairs > 0 {
		fmt.Printf("server: %s, %d CPUs\n", t.describe, runtime.NumCPU())
	} else {
		fmt.Printf("server: %s, %s per run, %d rounds, %d CPUs\n", t.describe, d, rounds, runtime.NumCPU())
	}
	if pin || split {
		if err := pinTree(t.pid); err != nil {
			return fmt.Errorf("pinning the server to CPU 0: %w", err)
		}
	}
	switch {
	case pin:
		fmt.Printf("pinned: server and load generator on CPU 0; the agent on CPUs %s\n", otherCPUs())
	case split:
		fmt.Printf("split: server on CPU 0, load generator on CPUs %s, the agent on every CPU\n", otherCPUs())
	default:
		fmt.Println("shared: server, load and the agent compete for every CPU")
	}
	if paceRate > 0 {
		return paced(t, paceRate, cmp.Or(interleavePairs, 10), interleaveWindow)
	}
	if interleavePairs > 0 {
		return interleaved(t, interleavePairs, interleaveWindow)
	}

	var base, traced, ratios, cpuRatios, serverRatios []float64
	var last roundStats
	for r := 0; r < rounds; r++ {
		b, err := loadCPU(t, d)
		if err != nil {
			return err
		}
		st, err := tracedRound(t, d)
		if err != nil {
			return err
		}
		baseCPU, tracedCPU := b.perReq(b.all), st.load.perReq(st.load.all)
		baseSrv, tracedSrv := b.perReq(b.server), st.load.perReq(st.load.server)
		base, traced, ratios = append(base, b.rps), append(traced, st.rps), append(ratios, st.rps/b.rps)
		cpuRatios = append(cpuRatios, baseCPU/tracedCPU)
		serverRatios = append(serverRatios, baseSrv/tracedSrv)
		last = st
		fmt.Printf("round %d: baseline %.0f req/s at %.1f µs CPU/req (server %.1f), with agent %.0f req/s (%.1f%%) at %.1f µs CPU/req (%.1f%%; server %.1f, %.1f%%); events %d, spans stored %d, ring drops %d, user-space drops %s, parse errors %s\n",
			r+1, b.rps, baseCPU*1e6, baseSrv*1e6, st.rps, 100*st.rps/b.rps, tracedCPU*1e6, 100*baseCPU/tracedCPU, tracedSrv*1e6, 100*baseSrv/tracedSrv, st.events, st.spans, st.drops, st.userDrops, st.parseErrors)
	}
	setBPFStats(true)
	kst, err := tracedRound(t, d)
	setBPFStats(false)
	if err != nil {
		return err
	}
	fmt.Printf("\nthroughput with the agent: %.1f%% of baseline (median of the %d round ratios; medians %.0f vs %.0f req/s; target >= 97%%)\n",
		100*median(ratios), len(ratios), median(traced), median(base))
	fmt.Printf("CPU-normalised throughput (CPU per request of server+load+agent, baseline over traced): %.1f%%\n", 100*median(cpuRatios))
	fmt.Printf("traced server's own CPU per request, baseline over traced (what the application pays where the agent has a core of its own): %.1f%% (rounds %s)\n", 100*median(serverRatios), percents(serverRatios))
	fmt.Printf("kernel time per BPF program run (one more traced run with kernel.bpf_stats_enabled, %.0f req/s): %.0f ns (target <= 1000 ns); per event: %.0f ns\n",
		kst.rps, kst.nsPerRun, kst.nsPerRun*float64(kst.runs)/float64(max(kst.events, 1)))
	for _, l := range kst.perProgRuns {
		fmt.Println("  " + l)
	}
	fmt.Printf("events handled: %.0f/s with %d ring-buffer drops\n", float64(last.events)/d.Seconds(), last.drops)
	fmt.Printf("agent process: max RSS %d MiB, CPU %.2f s per %s run (%.1f%% of one core)\n",
		last.maxRSS>>20, last.cpu.Seconds(), d, 100*last.cpu.Seconds()/d.Seconds())
	return nil
}

type roundStats struct {
	events, spans uint64
	drops         uint64
	runs          uint64
	nsPerRun      float64
	maxRSS        int64
	cpu           time.Duration
	load
	userDrops   string // spans or events dropped in user space, by reason
	parseErrors string
	perProg     map[string]float64
	perProgRuns []string
}

// tracedRound runs the load while an agent (spool and embedded store
// included, as `vigil agent` runs) captures the server's port.
func tracedRound(t *target, d time.Duration) (roundStats, error) {
	var st roundStats
	cpu0 := cpuTime()
	ba, err := startBenchAgent(t)
	if err != nil {
		return st, err
	}
	defer ba.close()
	emb, reg, dw := ba.emb, ba.reg, ba.discard
	progs := emb.Agent().Capture().Programs()
	before := programStats(progs)
	st.load, err = loadCPU(t, d)
	if err != nil {
		return st, err
	}
	after := programStats(progs)
	ks, _ := emb.Agent().Capture().Stats()
	if err := ba.stop(); err != nil {
		return st, err
	}
	sp := emb.SpoolStats()
	st.cpu = cpuTime() - cpu0
	st.userDrops = counters(reg, "vigil_agent_dropped_total", "reason")
	st.parseErrors = counters(reg, "vigil_agent_parse_errors_total", "reason")
	st.runs = after.runs - before.runs
	st.perProg = map[string]float64{}
	for name, a := range after.each {
		b := before.each[name]
		if n := a[1] - b[1]; n > 0 {
			st.perProg[name] = float64(a[0]-b[0]) / float64(n)
			st.perProgRuns = append(st.perProgRuns, fmt.Sprintf("%s %d runs %.0f ns", name, n, st.perProg[name]))
		}
	}
	sort.Strings(st.perProgRuns)
	if st.runs > 0 {
		st.nsPerRun = float64(after.ns-before.ns) / float64(st.runs)
	}
	st.events, st.drops = ks.DataEvents, ks.DataDrops+ks.CtrlDrops
	st.spans = uint64(sp.WrittenSpans)
	if discard {
		st.spans = uint64(dw.n.Load())
	}
	st.maxRSS = maxRSS()
	return st, nil
}

type progTotals struct {
	ns, runs uint64
	each     map[string][2]uint64 // name: ns, runs
}

func programStats(progs map[string]agent.Program) progTotals {
	t := progTotals{each: map[string][2]uint64{}}
	for name, p := range progs {
		s, err := p.Stats()
		if err != nil {
			continue
		}
		t.ns += uint64(s.Runtime)
		t.runs += s.RunCount
		t.each[name] = [2]uint64{uint64(s.Runtime), s.RunCount}
	}
	return t
}

var rpsRe = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)

// loadCPU runs the load and returns requests per second and the CPU time
// the load generator, the server and this process (the agent) used
// meanwhile: CPU per request is a second view of the cost besides
// throughput. The server's own CPU per request is what the traced process
// pays itself: the BPF programs run inside its syscalls.
func loadCPU(t *target, d time.Duration) (load, error) {
	server0, self0, start := procCPU(t.pid), cpuTime(), time.Now()
	rps, genUsed, err := t.run(d)
	wall := time.Since(start)
	// Let the children serving the load (PostgreSQL backends) exit and be
	// reaped: a child gone but not yet reaped counts nowhere.
	time.Sleep(300 * time.Millisecond)
	server := procCPU(t.pid) - server0
	return load{rps: rps, requests: rps * wall.Seconds(), all: genUsed + server + cpuTime() - self0, server: server}, err
}

// load is one run's throughput and the CPU time used meanwhile, in all and
// by the server alone.
type load struct {
	rps, requests float64
	all, server   time.Duration
}

// perReq is CPU time per request in seconds.
func (l load) perReq(cpu time.Duration) float64 {
	return cpu.Seconds() / l.requests
}

func runWrk(url string, conns int, d time.Duration) (float64, time.Duration, error) {
	cmd := loadCommand("wrk", "-t1", "-c"+strconv.Itoa(conns), "-d"+d.String(), url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, 0, fmt.Errorf("wrk: %v: %s", err, out)
	}
	m := rpsRe.FindSubmatch(out)
	if m == nil {
		return 0, 0, fmt.Errorf("wrk printed no Requests/sec: %s", out)
	}
	rps, err := strconv.ParseFloat(string(m[1]), 64)
	return rps, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), err
}

func startServer() (*exec.Cmd, string, func() (uint64, error), error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", nil, err
	}
	counterFile, err := os.CreateTemp("", "vigil-bench-requests-")
	if err != nil {
		return nil, "", nil, err
	}
	defer os.Remove(counterFile.Name()) // both ends map it before it goes
	counterFile.Close()
	served, err := mapCounter(counterFile.Name())
	if err != nil {
		return nil, "", nil, err
	}
	env := append(os.Environ(), "VIGIL_BENCH_SERVE=1", "VIGIL_BENCH_COUNTER="+counterFile.Name())
	cmd := exec.Command(self)
	if pin || split {
		cmd = exec.Command("taskset", "-c", "0", self)
		env = append(env, "GOMAXPROCS=1")
	}
	cmd.Env = env
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return nil, "", nil, fmt.Errorf("reading the server address: %w", err)
	}
	count := func() (uint64, error) { return atomic.LoadUint64(served), nil }
	return cmd, strings.TrimSpace(strings.TrimPrefix(line, "listening ")), count, nil
}

// counterSum is the sum of a counter family's series.
func counterSum(reg *prometheus.Registry, name string) float64 {
	mfs, _ := reg.Gather()
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// counters sums the counters of one family by a label: "none" when it
// has none.
func counters(reg *prometheus.Registry, name, label string) string {
	mfs, err := reg.Gather()
	if err != nil {
		return err.Error()
	}
	sums := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label {
					sums[l.GetValue()] += m.GetCounter().GetValue()
				}
			}
		}
	}
	var out []string
	for k, v := range sums {
		if v > 0 {
			out = append(out, fmt.Sprintf("%s=%.0f", k, v))
		}
	}
	if len(out) == 0 {
		return "none"
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func setBPFStats(on bool) {
	v := []byte("0")
	if on {
		v = []byte("1")
	}
	if err := os.WriteFile("/proc/sys/kernel/bpf_stats_enabled", v, 0); err != nil {
		fmt.Fprintln(os.Stderr, "vigil-agent-bench: kernel.bpf_stats_enabled:", err)
	}
}

func percents(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprintf("%.1f%%", 100*x)
	}
	return strings.Join(s, ", ")
}

// loadCommand runs a load generator: on CPU 0 beside the server when
// pinned, on the other CPUs when split.
func loadCommand(name string, args ...string) *exec.Cmd {
	switch {
	case pin:
		return exec.Command("taskset", append([]string{"-c", "0", name}, args...)...)
	case split:
		return exec.Command("taskset", append([]string{"-c", otherCPUs(), name}, args...)...)
	}
	return exec.Command(name, args...)
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}
