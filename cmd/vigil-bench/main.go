// Command vigil-bench measures vigil's orchestration on this machine and
// prints numbers (it never passes or fails on time):
//
//	latency: schedule fire time to check start, and check end to result
//	         stored, p50 and p99, over at least -latency-runs runs;
//	alerts:  rule evaluation cost (-eval-monitors monitors and rules over
//	         -eval-results stored results), and the time from a failing
//	         check's end to the Slack request, p50 and p99 over
//	         -alert-incidents incidents with the default 10 s evaluation;
//	load:    -monitors HTTP monitors every -every for -duration against a
//	         local target: runs missed or started more than 5 s late, CPU
//	         seconds per check, and the same checks made by a plain Go loop
//	         (net/http, same concurrency) as the baseline, in the same run.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"
)

type options struct {
	latencyMonitors int
	latencyEvery    time.Duration
	latencyRuns     int
	monitors        int
	every           time.Duration
	duration        time.Duration
	concurrency     int
	skipLatency     bool
	skipLoad        bool
	verbose         bool
	cpuProfile      string
	dynamicConfig   map[string]any
	shards          int
	maxConns        int
	skipAlerts      bool
	alertIncidents  int
	evalMonitors    int
	evalResults     int
	slackAPI        string // set by the alert scenario
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "serve-target" {
		serveTarget()
		return
	}
	var o options
	flag.IntVar(&o.latencyMonitors, "latency-monitors", 20, "monitors of the latency scenario")
	flag.DurationVar(&o.latencyEvery, "latency-every", 10*time.Second, "interval of each monitor of the latency scenario")
	flag.IntVar(&o.latencyRuns, "latency-runs", 200, "runs measured by the latency scenario")
	flag.IntVar(&o.monitors, "monitors", 1000, "monitors of the load scenario")
	flag.DurationVar(&o.every, "every", time.Minute, "interval of each monitor of the load scenario")
	flag.DurationVar(&o.duration, "duration", 5*time.Minute, "length of the load scenario")
	flag.IntVar(&o.concurrency, "concurrency", 100, "concurrent checks (vigil's check pool and the baseline loop)")
	flag.BoolVar(&o.skipLatency, "skip-latency", false, "skip the latency scenario")
	flag.BoolVar(&o.skipLoad, "skip-load", false, "skip the load scenario")
	flag.BoolVar(&o.skipAlerts, "skip-alerts", false, "skip the alerting scenarios")
	flag.IntVar(&o.alertIncidents, "alert-incidents", 100, "incidents of the alert latency scenario")
	flag.IntVar(&o.evalMonitors, "eval-monitors", 1000, "monitors (and rules) of the rule evaluation scenario")
	flag.IntVar(&o.evalResults, "eval-results", 1_000_000, "stored results of the rule evaluation scenario")
	flag.BoolVar(&o.verbose, "v", false, "log vigil's warnings")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.IntVar(&o.shards, "shards", 0, "history shards of the embedded server (0: the default)")
	flag.IntVar(&o.maxConns, "max-conns", 1, "SQLite connections of the embedded server")
	flag.Func("dc", "Temporal dynamic config override key=value (repeatable; true/false and numbers are typed)", func(kv string) error {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("want key=value, got %q", kv)
		}
		if o.dynamicConfig == nil {
			o.dynamicConfig = map[string]any{}
		}
		o.dynamicConfig[k] = typed(v)
		return nil
	})
	flag.Parse()
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "vigil-bench:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "vigil-bench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "vigil-bench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	target, stop, err := startTarget()
	if err != nil {
		return err
	}
	defer stop()
	level := slog.LevelError
	if o.verbose {
		level = slog.LevelWarn
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	fmt.Printf("vigil-bench: target %s, GOMAXPROCS=%d\n", target, numCPU())
	if !o.skipLoad {
		// The baseline runs first, before any Temporal server exists in
		// this process, so its CPU time is its own.
		base, err := baseline(ctx, target, o)
		if err != nil {
			return err
		}
		printBaseline(base)
		h, err := startHarness(ctx, log, o)
		if err != nil {
			return err
		}
		res, err := loadScenario(ctx, h, target, o)
		h.close()
		if err != nil {
			return err
		}
		printLoad(res, base)
	}
	if !o.skipAlerts {
		ev, err := evalScenario(ctx, o)
		if err != nil {
			return err
		}
		printEval(ev)
		al, err := alertScenario(ctx, log, o)
		if err != nil {
			return err
		}
		printAlert(al)
	}
	if !o.skipLatency {
		h, err := startHarness(ctx, log, o)
		if err != nil {
			return err
		}
		defer h.close()
		lat, err := latencyScenario(ctx, h, target, o)
		if err != nil {
			return err
		}
		printLatency(lat)
	}
	return nil
}

// startTarget runs the HTTP target in a child process so its CPU time is
// not counted as vigil's or the baseline's.
func startTarget() (string, func(), error) {
	cmd := exec.Command(os.Args[0], "serve-target")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("starting target process: %w", err)
	}
	buf := make([]byte, 128)
	n, err := out.Read(buf)
	if err != nil {
		_ = cmd.Process.Kill()
		return "", nil, fmt.Errorf("reading target address: %w", err)
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	return "http://" + string(buf[:n]), stop, nil
}

func typed(v string) any {
	if b, err := strconv.ParseBool(v); err == nil {
		return b
	}
	if n, err := strconv.Atoi(v); err == nil {
		return n
	}
	return v
}

func serveTarget() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Print(ln.Addr().String())
	body := []byte(`{"status":"ok","items":[{"id":1,"price":42}]}`)
	_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
}
