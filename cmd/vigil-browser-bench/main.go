// Command vigil-browser-bench measures browser journeys: wall time, cold
// start (browser start to the first navigation done), peak memory of the
// whole browser process tree as summed PSS (sampled every 100 ms from
// /proc/PID/smaps_rollup: RSS double-counts shared pages), and runs per
// minute sustained at several concurrencies, against the demo app on
// loopback with the example login journey.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	demoapp "github.com/vigil-dev/vigil/examples/demo-app"
	"github.com/vigil-dev/vigil/internal/browser"
	"github.com/vigil-dev/vigil/internal/check"
	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/secrets"
)

func main() {
	runs := flag.Int("runs", 10, "sequential runs for wall time, cold start and memory")
	window := flag.Duration("window", 30*time.Second, "how long each concurrency level runs")
	file := flag.String("journey", "examples/monitors/demo-browser-checkout.yaml", "browser monitor to run")
	flag.StringVar(&k6Path, "k6", defaultK6(), "k6 binary for the baseline (go install go.k6.io/k6@v1.8.1); empty skips it")
	flag.Parse()
	if err := run(*runs, *window, *file); err != nil {
		fmt.Fprintln(os.Stderr, "vigil-browser-bench:", err)
		os.Exit(1)
	}
}

var k6Path string

func defaultK6() string {
	if p, err := exec.LookPath("k6"); err == nil {
		return p
	}
	home, _ := os.UserHomeDir()
	if p := filepath.Join(home, "go", "bin", "k6"); fileExists(p) {
		return p
	}
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func run(n int, window time.Duration, file string) error {
	if browser.DefaultChromiumPath() == "" {
		return fmt.Errorf("needs chromium (apt-get install chromium)")
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	addr, stop, err := demoapp.Start(context.Background(), "127.0.0.1:0", demoapp.Options{SlowProbability: -1, FailProbability: -1, Logger: log})
	if err != nil {
		return err
	}
	defer stop()
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	ms, errs := monitor.ParseFile(file, data)
	if len(errs) > 0 {
		return fmt.Errorf("%s: %v", file, errs)
	}
	m := ms[0]
	for i := range m.Steps {
		m.Steps[i].Goto = strings.Replace(m.Steps[i].Goto, demoapp.DefaultAddr, addr, 1)
	}
	runner := check.NewRunner(check.Options{Logger: log, Secrets: secrets.FromMap(map[string]string{"DEMO_PASSWORD": demoapp.DefaultPassword})})
	fmt.Printf("journey %s (%d steps) against the demo app on %s; vigil drives %s, %s\n", m.ID, len(m.Steps), addr, browser.DefaultChromiumPath(), chromiumVersion())

	var walls, colds []time.Duration
	var peaks []int64
	for i := 0; i < n; i++ {
		sampler := startPSSSampler()
		start := time.Now()
		res, err := runner.Run(context.Background(), m)
		wall := time.Since(start)
		peak := sampler.stop()
		if err != nil || res.Monitor.Status != "up" {
			return fmt.Errorf("run %d failed: %v %+v", i, err, res.Error)
		}
		walls, peaks = append(walls, wall), append(peaks, peak)
		if len(res.Steps) > 0 {
			first := time.Duration(res.Steps[0].Synthetics.Step.Duration.US) * time.Microsecond
			colds = append(colds, time.Duration(res.Browser.Startup.US)*time.Microsecond+first)
		}
	}
	fmt.Printf("wall time per run: median %s, max %s\n", medianD(walls), maxD(walls))
	fmt.Printf("cold start (browser start to the first navigation done): median %s, max %s (target <= 1s)\n", medianD(colds), maxD(colds))
	fmt.Printf("peak PSS of the browser process tree: median %d MiB, max %d MiB (target <= 300 MiB)\n", medianI(peaks)>>20, maxI(peaks)>>20)
	if k6Path == "" {
		fmt.Println("k6 baseline: skipped (no k6; go install go.k6.io/k6@v1.8.1)")
	} else {
		// The baseline the issue names: k6 with Debian's chromium; and, when
		// vigil runs another binary (the headless shell), k6 with that one
		// too, so the comparison of the drivers alone is printed as well.
		bins := []string{"/usr/bin/chromium"}
		if p := browser.DefaultChromiumPath(); p != bins[0] {
			bins = append(bins, p)
		}
		for _, bin := range bins {
			k, err := runK6(k6Path, bin, "http://"+addr+"/", demoapp.DefaultPassword, n)
			if err != nil {
				fmt.Printf("k6 baseline with %s: failed: %v\n", bin, err)
				continue
			}
			fmt.Printf("k6 baseline with %s (same journey, %d iterations): median %s, peak PSS %d MiB\n", bin, n, k.medianIteration, k.peakPSS>>20)
			fmt.Printf("  vigil/k6: wall time %.2f, peak PSS %.2f (target <= 1.0 on both)\n",
				float64(medianD(walls))/float64(k.medianIteration), float64(maxI(peaks))/float64(k.peakPSS))
		}
	}

	for _, c := range []int{1, 2, 4} {
		done, failed := throughput(runner, m, c, window)
		fmt.Printf("concurrency %d: %.1f runs/min over %s, %d failed by the runner\n", c, float64(done)/window.Minutes(), window, failed)
	}
	return nil
}

func throughput(r *check.Runner, m monitor.Monitor, conc int, window time.Duration) (int64, int64) {
	var done, failed atomic.Int64
	deadline := time.Now().Add(window)
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if _, err := r.Run(context.Background(), m); err != nil {
					failed.Add(1)
					continue
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	return done.Load(), failed.Load()
}

func chromiumVersion() string {
	out, err := exec.Command(browser.DefaultChromiumPath(), "--version").Output()
	if err != nil {
		return "chromium (version unknown)"
	}
	return strings.TrimSpace(string(out))
}

func medianD(v []time.Duration) time.Duration {
	s := append([]time.Duration(nil), v...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func maxD(v []time.Duration) time.Duration {
	var m time.Duration
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

func medianI(v []int64) int64 {
	s := append([]int64(nil), v...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func maxI(v []int64) int64 {
	var m int64
	for _, x := range v {
		m = max(m, x)
	}
	return m
}
