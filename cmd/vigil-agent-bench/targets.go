package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/vigil-dev/vigil/internal/testserver"
)

// target is a traced server and the load that measures it.
type target struct {
	describe string
	pid      int
	port     int    // when set, traced by port (PostgreSQL forks a backend per connection), else by pid
	cgroup   string // when set, traced by this cgroup (the server and the children it forks)
	// paced starts a load of rate requests per second and returns the
	// count of requests the server served so far, and how to stop it.
	paced func(rate float64) (count func() (uint64, error), stop func(), err error)
	// run loads the server for about d and returns its throughput and the
	// load generator's CPU time.
	run func(d time.Duration) (float64, time.Duration, error)
	// continuous starts a load of about d in the background and returns
	// how to measure it window by window, and how to end it early.
	continuous func(d time.Duration) (meter, func(), error)
	stop       func()
}

// background starts a load generator and returns how to stop it.
func background(cmd *exec.Cmd) (func(), error) {
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	return func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }, nil
}

var redisRPS = regexp.MustCompile(`"(SET|GET)","([0-9.]+)"`)

// redisTarget is redis-server loaded by redis-benchmark -P 16 (SET and GET).
func redisTarget() (*target, error) {
	if _, err := exec.LookPath("redis-benchmark"); err != nil {
		return nil, fmt.Errorf("needs redis-benchmark (apt-get install redis-tools)")
	}
	srv, err := testserver.Redis()
	if err != nil {
		return nil, err
	}
	port := srv.Port
	return &target{
		describe: fmt.Sprintf("redis-server on 127.0.0.1:%d (pid %d), load: redis-benchmark -P 16 -c 16 -t set,get", port, srv.PID),
		pid:      srv.PID,
		stop:     srv.Stop,
		paced: func(rate float64) (func() (uint64, error), func(), error) {
			stop, err := pacedChild("redis", "127.0.0.1:"+strconv.Itoa(port), rate)
			return func() (uint64, error) { return redisCommands(port) }, stop, err
		},
		continuous: func(d time.Duration) (meter, func(), error) {
			n := int(d.Seconds() * 1_000_000)
			stop, err := background(loadCommand("redis-benchmark", "-p", strconv.Itoa(port), "-P", "16", "-c", "16", "-n", strconv.Itoa(n), "-t", "set,get", "-q"))
			if err != nil {
				return nil, nil, err
			}
			return counterMeter{count: func() (uint64, error) { return redisCommands(port) }, w: interleaveWindow, settle: 100 * time.Millisecond}, stop, nil
		},
		run: func(d time.Duration) (float64, time.Duration, error) {
			n := int(d.Seconds() * 300_000) // requests per test: about d/2 each at this VM's rates
			cmd := loadCommand("redis-benchmark", "-p", strconv.Itoa(port), "-P", "16", "-c", "16", "-n", strconv.Itoa(n), "-t", "set,get", "--csv")
			out, err := cmd.CombinedOutput()
			if err != nil {
				return 0, 0, fmt.Errorf("redis-benchmark: %v: %s", err, out)
			}
			var sum float64
			ms := redisRPS.FindAllSubmatch(out, -1)
			for _, m := range ms {
				v, _ := strconv.ParseFloat(string(m[2]), 64)
				sum += v
			}
			if len(ms) == 0 {
				return 0, 0, fmt.Errorf("redis-benchmark printed no rates: %s", out)
			}
			return sum / float64(len(ms)), cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
		},
	}, nil
}

// loggedPgbench starts pgbench -M prepared -S against the server on port
// with extra arguments, logging a line per transaction (-l): counting them
// gives windows as exact as the other targets' counters. It returns the
// count so far and how to stop it.
func loggedPgbench(pgbench, port string, extra ...string) (func() (uint64, error), func(), error) {
	logs, err := os.MkdirTemp("", "vigil-bench-pgbench-")
	if err != nil {
		return nil, nil, err
	}
	args := append([]string{"-M", "prepared", "-c", "4", "-S", "-n", "-l", "--log-prefix", filepath.Join(logs, "tx")}, extra...)
	stop, err := background(loadCommand(pgbench, append(args, "-h", "127.0.0.1", "-p", port, "-U", "postgres", "postgres")...))
	if err != nil {
		os.RemoveAll(logs)
		return nil, nil, err
	}
	lc := &lineCounter{dir: logs}
	return lc.count, func() { stop(); os.RemoveAll(logs) }, nil
}

var pgTPS = regexp.MustCompile(`tps = ([0-9.]+)`)

// postgresTarget is a throwaway cluster loaded by pgbench -M prepared.
func postgresTarget() (*target, error) {
	pgbench := testserver.PGBinary("pgbench")
	if pgbench == "" {
		return nil, fmt.Errorf("needs pgbench (apt-get install postgresql-contrib)")
	}
	srv, err := testserver.Postgres("synchronous_commit=off")
	if err != nil {
		return nil, err
	}
	port, p := srv.Port, strconv.Itoa(srv.Port)
	if out, err := exec.Command(pgbench, "-i", "-s", "1", "-q", "-h", "127.0.0.1", "-p", p, "-U", "postgres", "postgres").CombinedOutput(); err != nil {
		srv.Stop()
		return nil, fmt.Errorf("pgbench -i: %v %s", err, out)
	}
	t := &target{
		describe: fmt.Sprintf("PostgreSQL on 127.0.0.1:%d (postmaster pid %d), load: pgbench -M prepared -c 4 -S -T <duration>", port, srv.PID),
		pid:      srv.PID,
		port:     port,
		stop:     srv.Stop,
		continuous: func(d time.Duration) (meter, func(), error) {
			count, stop, err := loggedPgbench(pgbench, p, "-T", strconv.Itoa(int(d.Seconds())))
			return counterMeter{count: count, w: interleaveWindow, settle: 100 * time.Millisecond}, stop, err
		},
		paced: func(rate float64) (func() (uint64, error), func(), error) {
			return loggedPgbench(pgbench, p, "-R", strconv.FormatFloat(rate, 'f', -1, 64), "-T", "3600")
		},
		run: func(d time.Duration) (float64, time.Duration, error) {
			cmd := loadCommand(pgbench, "-M", "prepared", "-c", "4", "-S", "-n", "-T", strconv.Itoa(int(d.Seconds())), "-h", "127.0.0.1", "-p", p, "-U", "postgres", "postgres")
			out, err := cmd.CombinedOutput()
			if err != nil {
				return 0, 0, fmt.Errorf("pgbench: %v: %s", err, out)
			}
			m := pgTPS.FindSubmatch(out)
			if m == nil {
				return 0, 0, fmt.Errorf("pgbench printed no tps: %s", out)
			}
			tps, err := strconv.ParseFloat(string(m[1]), 64)
			return tps, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), err
		},
	}
	// Traced by its cgroup, as a DaemonSet scoped to a container would:
	// by port, pgbench's own connections would be traced too.
	if cg, remove, err := serverCgroup(srv.PID); err == nil {
		t.cgroup = cg
		t.stop = func() { srv.Stop(); remove() }
		t.describe += ", traced by its cgroup " + cg
	} else {
		t.describe += ", traced by port (client side too: " + err.Error() + ")"
	}
	return t, nil
}

// serverCgroup moves pid into a cgroup of its own (v1 memory hierarchy or
// v2) and returns the cgroup's path and how to remove it once the server
// and its children are gone.
func serverCgroup(pid int) (string, func(), error) {
	root := "/sys/fs/cgroup/memory"
	if _, err := os.Stat(root); err != nil {
		root = "/sys/fs/cgroup"
	}
	dir := filepath.Join(root, fmt.Sprintf("vigil-bench-%d", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", nil, fmt.Errorf("creating a cgroup: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
		_ = os.Remove(dir)
		return "", nil, fmt.Errorf("moving the server into %s: %w", dir, err)
	}
	return dir, func() {
		for range 50 { // the server's children exit after it
			if os.Remove(dir) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}, nil
}

// httpTarget is the Go server loaded by wrk.
func httpTarget(conns int, path string) (*target, error) {
	if _, err := exec.LookPath("wrk"); err != nil {
		return nil, fmt.Errorf("needs wrk (apt-get install wrk): %w", err)
	}
	srv, addr, count, err := startServer()
	if err != nil {
		return nil, err
	}
	url := "http://" + addr + path
	return &target{
		describe: fmt.Sprintf("Go net/http on %s (pid %d), load: wrk -t1 -c%d %s", addr, srv.Process.Pid, conns, url),
		pid:      srv.Process.Pid,
		paced: func(rate float64) (func() (uint64, error), func(), error) {
			stop, err := pacedChild("http", url, rate)
			return count, stop, err
		},
		stop: func() { _ = srv.Process.Kill(); _ = srv.Wait() },
		run:  func(d time.Duration) (float64, time.Duration, error) { return runWrk(url, conns, d) },
		continuous: func(d time.Duration) (meter, func(), error) {
			stop, err := background(loadCommand("wrk", "-t1", "-c"+strconv.Itoa(conns), "-d"+strconv.Itoa(int(d.Seconds()))+"s", url))
			if err != nil {
				return nil, nil, err
			}
			return counterMeter{count: count, w: interleaveWindow, settle: 100 * time.Millisecond}, stop, nil
		},
	}, nil
}

// lineCounter counts the lines written so far to the files of a directory
// (pgbench's transaction logs), reading only what was appended.
type lineCounter struct {
	dir   string
	read  map[string]int64
	lines uint64
}

func (c *lineCounter) count() (uint64, error) {
	if c.read == nil {
		c.read = map[string]int64{}
	}
	ents, err := os.ReadDir(c.dir)
	if err != nil {
		return 0, err
	}
	buf := make([]byte, 64<<10)
	for _, e := range ents {
		path := filepath.Join(c.dir, e.Name())
		f, err := os.Open(path)
		if err != nil {
			return 0, err
		}
		off := c.read[path]
		for {
			n, err := f.ReadAt(buf, off)
			c.lines += uint64(bytes.Count(buf[:n], []byte{'\n'}))
			off += int64(n)
			if err != nil {
				break
			}
		}
		c.read[path] = off
		f.Close()
	}
	return c.lines, nil
}
