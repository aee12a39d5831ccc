package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A paced load: a fixed request rate well under what the server can serve,
// as most services run. Saturation (-interleave) shows what the agent takes
// from a server at its limit; this shows what it costs at an ordinary rate,
// the figure the anchors (Beyla's 0.4-1.5 % CPU, DeepFlow's +0.46 %) give:
// the agent's CPU as a share of one core, and the server's CPU per request
// with and without it.

const pacedConns = 8

// paceLoad is the child process -rate starts (VIGIL_BENCH_PACE=url): rate
// requests per second over pacedConns keep-alive connections, each on its
// own schedule, until killed.
func paceLoad(url string, rate float64) error {
	if rate <= 0 {
		return fmt.Errorf("rate %v must be positive", rate)
	}
	every := time.Duration(float64(pacedConns) / rate * float64(time.Second))
	var wg sync.WaitGroup
	errs := make(chan error, pacedConns)
	for i := range pacedConns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			next := time.Now().Add(every * time.Duration(i) / pacedConns)
			for {
				time.Sleep(time.Until(next))
				resp, err := client.Get(url)
				if err != nil {
					errs <- err
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				// Behind schedule (a slow moment), it does not catch up in a
				// burst: the rate stays what was asked.
				next = next.Add(every)
				if late := time.Now().Add(-every); next.Before(late) {
					next = late
				}
			}
		}()
	}
	err := <-errs
	return err
}

// taskRuntime is the CPU time all threads of pid ran, in nanoseconds, from
// /proc/PID/task/*/schedstat: exact, unlike the tick-counted /proc/PID/stat,
// at the low CPU shares a paced load leaves.
func taskRuntime(pid int) time.Duration {
	dirs, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	var total time.Duration
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			continue
		}
		ns, _ := strconv.ParseInt(f[0], 10, 64)
		total += time.Duration(ns)
	}
	return total
}

// paced measures the agent under a paced load of rate requests per second
// on t (the HTTP target): windows of w alternate between the capture paused
// and running, pairs traced ones.
func paced(t *target, url string, rate float64, pairs int, w time.Duration) error {
	ba, err := startBenchAgent(t)
	if err != nil {
		return err
	}
	defer ba.close()
	capture := ba.emb.Agent().Capture()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	load := loadCommand(self)
	load.Env = append(os.Environ(), "VIGIL_BENCH_PACE="+url, "VIGIL_BENCH_RATE="+strconv.FormatFloat(rate, 'f', -1, 64))
	load.Stderr = os.Stderr
	stopLoad, err := background(load)
	if err != nil {
		return err
	}
	defer stopLoad()
	fmt.Printf("paced: %.0f requests/s over %d keep-alive connections (a Go client), %d traced windows of %s between %d untraced ones\n",
		rate, pacedConns, pairs, w, pairs+1)
	var srvOff, srvOn, agentOff, agentOn, rates []float64
	for i := 0; i < 2*pairs+1; i++ {
		traced := i%2 == 1
		m, err := pacedWindow(t, capture, traced, w)
		if err != nil {
			return fmt.Errorf("window %d: %w", i+1, err)
		}
		if traced {
			srvOn, agentOn, rates = append(srvOn, m.server), append(agentOn, m.agent), append(rates, m.rate)
		} else {
			srvOff, agentOff = append(srvOff, m.server), append(agentOff, m.agent)
		}
	}
	var srvRatios []float64
	for i := range srvOn {
		srvRatios = append(srvRatios, (srvOff[i]+srvOff[i+1])/2/srvOn[i])
	}
	ks, _ := capture.Stats()
	fmt.Printf("  served %.0f requests/s (median of the traced windows)\n", median(rates))
	fmt.Printf("  agent process CPU: %.2f%% of one core while capturing, %.2f%% paused (medians; %.1f µs per request)\n",
		100*median(agentOn), 100*median(agentOff), 1e6*(median(agentOn)-median(agentOff))/median(rates))
	fmt.Printf("  server CPU per request: %.1f µs untraced, %.1f µs traced; baseline over traced %.1f%% (median of %d; middle half %.1f%%-%.1f%%)\n",
		1e6*median(srvOff), 1e6*median(srvOn), 100*median(srvRatios), len(srvRatios), 100*quantile(srvRatios, 0.25), 100*quantile(srvRatios, 0.75))
	fmt.Printf("  agent: %d data events, %d ring-buffer drops; max RSS %d MiB\n", ks.DataEvents, ks.DataDrops+ks.CtrlDrops, maxRSS()>>20)
	return nil
}

// switcher turns the capture off and on (agent.Capture).
type switcher interface {
	Pause() error
	Resume() error
}

// setTraced resumes the capture when traced, else pauses it.
func setTraced(c switcher, traced bool) error {
	if traced {
		return c.Resume()
	}
	return c.Pause()
}

// windowCPU is what one paced window measured: requests served per
// second, the server's CPU seconds per request, the agent process's CPU
// share of one core.
type windowCPU struct{ rate, server, agent float64 }

// pacedWindow pauses or resumes the capture and measures one window of w.
func pacedWindow(t *target, capture switcher, traced bool, w time.Duration) (windowCPU, error) {
	if err := setTraced(capture, traced); err != nil {
		return windowCPU{}, err
	}
	time.Sleep(200 * time.Millisecond) // let the switch take effect
	c0, err := t.counter()
	if err != nil {
		return windowCPU{}, err
	}
	me := os.Getpid()
	s0, a0, t0 := taskRuntime(t.pid), taskRuntime(me), time.Now()
	time.Sleep(w)
	c1, err := t.counter()
	if err != nil {
		return windowCPU{}, err
	}
	el := time.Since(t0).Seconds()
	n := float64(c1 - c0)
	if n == 0 {
		return windowCPU{}, fmt.Errorf("no requests served: the load generator stopped")
	}
	return windowCPU{rate: n / el, server: (taskRuntime(t.pid) - s0).Seconds() / n, agent: (taskRuntime(me) - a0).Seconds() / el}, nil
}

// paceFromEnv runs the paced load child when the bench started one.
func paceFromEnv() (bool, error) {
	url := os.Getenv("VIGIL_BENCH_PACE")
	if url == "" {
		return false, nil
	}
	rate, err := strconv.ParseFloat(os.Getenv("VIGIL_BENCH_RATE"), 64)
	if err != nil {
		return true, fmt.Errorf("VIGIL_BENCH_RATE: %w", err)
	}
	return true, paceLoad(url, rate)
}
