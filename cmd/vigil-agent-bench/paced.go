package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// A paced load: a fixed request rate well under what the server can serve,
// as most services run. Saturation (-interleave) shows what the agent takes
// from a server at its limit; this shows what it costs at an ordinary rate,
// the figure the anchors (Beyla's 0.4-1.5 % CPU, DeepFlow's +0.46 %) give:
// the agent's CPU as a share of one core, and the server's CPU per request
// with and without it.

const pacedConns = 8

// paceLoad is the child process -rate starts (VIGIL_BENCH_PACE=kind:addr):
// rate requests per second over pacedConns keep-alive connections, each on
// its own schedule, until killed. kind is http (addr a URL) or redis (addr
// host:port, a GET per request).
func paceLoad(kind, addr string, rate float64) error {
	if rate <= 0 {
		return fmt.Errorf("rate %v must be positive", rate)
	}
	var newConn func() (func() error, error)
	switch kind {
	case "http":
		newConn = func() (func() error, error) { return httpRequester(addr), nil }
	case "redis":
		newConn = func() (func() error, error) { return redisRequester(addr) }
	default:
		return fmt.Errorf("unknown paced load %q", kind)
	}
	every := time.Duration(float64(pacedConns) / rate * float64(time.Second))
	errs := make(chan error, pacedConns)
	for i := range pacedConns {
		request, err := newConn()
		if err != nil {
			return err
		}
		go func() {
			next := time.Now().Add(every * time.Duration(i) / pacedConns)
			for {
				time.Sleep(time.Until(next))
				if err := request(); err != nil {
					errs <- err
					return
				}
				// Behind schedule (a slow moment), it does not catch up in a
				// burst: the rate stays what was asked.
				next = next.Add(every)
				if late := time.Now().Add(-every); next.Before(late) {
					next = late
				}
			}
		}()
	}
	return <-errs
}

// httpRequester GETs url over a keep-alive connection of its own.
func httpRequester(url string) func() error {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	return func() error {
		resp, err := client.Get(url)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.Body.Close()
	}
}

// redisRequester sends GET over a connection of its own to the Redis at
// addr and reads the (null or bulk) reply.
func redisRequester(addr string) (func() error, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	r := bufio.NewReader(c)
	get := []byte("*2\r\n$3\r\nGET\r\n$8\r\nbench:k1\r\n")
	return func() error {
		if _, err := c.Write(get); err != nil {
			return err
		}
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if n, err := strconv.Atoi(strings.TrimSpace(line[1:])); err == nil && line[0] == '$' && n >= 0 {
			_, err = r.Discard(n + 2)
			return err
		}
		return nil
	}, nil
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

// pacedChild starts the paced load child of the given kind against addr
// and returns how to stop it.
func pacedChild(kind, addr string, rate float64) (func(), error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	load := loadCommand(self)
	load.Env = append(os.Environ(), "VIGIL_BENCH_PACE="+kind+" "+addr, "VIGIL_BENCH_RATE="+strconv.FormatFloat(rate, 'f', -1, 64))
	load.Stderr = os.Stderr
	return background(load)
}

// taskRuntimeTree is taskRuntime of pid and its children (PostgreSQL's
// backends are the postmaster's).
func taskRuntimeTree(pid int) time.Duration {
	total := taskRuntime(pid)
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if child, err := strconv.Atoi(e.Name()); err == nil && child != pid && parentOf(child) == pid {
			total += taskRuntime(child)
		}
	}
	return total
}

// paced measures the agent under a paced load of rate requests per second
// on t: windows of w alternate between the capture paused and running,
// pairs traced ones.
func paced(t *target, rate float64, pairs int, w time.Duration) error {
	ba, err := startBenchAgent(t)
	if err != nil {
		return err
	}
	defer ba.close()
	capture := ba.emb.Agent().Capture()
	count, stopLoad, err := t.paced(rate)
	if err != nil {
		return err
	}
	defer stopLoad()
	fmt.Printf("paced: %.0f requests/s, %d traced windows of %s between %d untraced ones\n", rate, pairs, w, pairs+1)
	var srvOff, srvOn, agentOff, agentOn, rates []float64
	for i := 0; i < 2*pairs+1; i++ {
		traced := i%2 == 1
		m, err := pacedWindow(t.pid, count, capture, traced, w)
		if err != nil {
			return fmt.Errorf("window %d: %w", i+1, err)
		}
		if traced {
			srvOn, agentOn, rates = append(srvOn, m.server), append(agentOn, m.agent), append(rates, m.rate)
		} else {
			srvOff, agentOff = append(srvOff, m.server), append(agentOff, m.agent)
		}
	}
	srvRatios := perWindow(srvOn, srvOff, baseOverTraced)
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

// pacedWindow pauses or resumes the capture and measures one window of w
// of the server pid, whose served requests count gives.
func pacedWindow(pid int, count func() (uint64, error), capture switcher, traced bool, w time.Duration) (windowCPU, error) {
	if err := setTraced(capture, traced); err != nil {
		return windowCPU{}, err
	}
	time.Sleep(200 * time.Millisecond) // let the switch take effect
	c0, err := count()
	if err != nil {
		return windowCPU{}, err
	}
	me := os.Getpid()
	s0, a0, t0 := taskRuntimeTree(pid), taskRuntime(me), time.Now()
	time.Sleep(w)
	c1, err := count()
	if err != nil {
		return windowCPU{}, err
	}
	el := time.Since(t0).Seconds()
	n := float64(c1 - c0)
	if n == 0 {
		return windowCPU{}, fmt.Errorf("no requests served: the load generator stopped")
	}
	return windowCPU{rate: n / el, server: (taskRuntimeTree(pid) - s0).Seconds() / n, agent: (taskRuntime(me) - a0).Seconds() / el}, nil
}

// paceFromEnv runs the paced load child when the bench started one.
func paceFromEnv() (bool, error) {
	kind, addr, ok := strings.Cut(os.Getenv("VIGIL_BENCH_PACE"), " ")
	if !ok {
		return false, nil
	}
	rate, err := strconv.ParseFloat(os.Getenv("VIGIL_BENCH_RATE"), 64)
	if err != nil {
		return true, fmt.Errorf("VIGIL_BENCH_RATE: %w", err)
	}
	return true, paceLoad(kind, addr, rate)
}
