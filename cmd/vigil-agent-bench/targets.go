package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"time"
)

// target is a traced server and the load that measures it.
type target struct {
	describe string
	pid      int
	port     int // when set, traced by port (PostgreSQL forks a backend per connection), else by pid
	// run loads the server for about d and returns its throughput and the
	// load generator's CPU time.
	run  func(d time.Duration) (float64, time.Duration, error)
	stop func()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitPort(port int) error {
	for i := 0; i < 200; i++ {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("nothing listens on port %d", port)
}

var redisRPS = regexp.MustCompile(`"(SET|GET)","([0-9.]+)"`)

// redisTarget is redis-server loaded by redis-benchmark -P 16 (SET and GET).
func redisTarget() (*target, error) {
	for _, bin := range []string{"redis-server", "redis-benchmark"} {
		if _, err := exec.LookPath(bin); err != nil {
			return nil, fmt.Errorf("needs %s (apt-get install redis-server redis-tools)", bin)
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, _ := os.MkdirTemp("", "vigil-bench-redis-")
	srv := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
	if err := srv.Start(); err != nil {
		return nil, err
	}
	stop := func() { _ = srv.Process.Kill(); _ = srv.Wait(); _ = os.RemoveAll(dir) }
	if err := waitPort(port); err != nil {
		stop()
		return nil, err
	}
	n := 400_000
	return &target{
		describe: fmt.Sprintf("redis-server on 127.0.0.1:%d (pid %d), load: redis-benchmark -P 16 -c 16 -n %d -t set,get", port, srv.Process.Pid, n),
		pid:      srv.Process.Pid,
		stop:     stop,
		run: func(time.Duration) (float64, time.Duration, error) {
			cmd := exec.Command("redis-benchmark", "-p", strconv.Itoa(port), "-P", "16", "-c", "16", "-n", strconv.Itoa(n), "-t", "set,get", "--csv")
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

var pgTPS = regexp.MustCompile(`tps = ([0-9.]+)`)

func pgBin(name string) string {
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(m) == 0 {
		return ""
	}
	return m[len(m)-1]
}

// asPostgres runs a server program as the postgres user (it refuses root).
func asPostgres(args ...string) (*exec.Cmd, error) {
	cmd := exec.Command(args[0], args[1:]...)
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("needs a postgres user (apt-get install postgresql)")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	return cmd, nil
}

// postgresTarget is a throwaway cluster loaded by pgbench -M prepared.
func postgresTarget() (*target, error) {
	initdb, server, pgbench := pgBin("initdb"), pgBin("postgres"), pgBin("pgbench")
	if initdb == "" || server == "" || pgbench == "" {
		return nil, fmt.Errorf("needs PostgreSQL (apt-get install postgresql)")
	}
	dir, err := os.MkdirTemp("", "vigil-bench-pg-")
	if err != nil {
		return nil, err
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("needs a postgres user (apt-get install postgresql)")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	_ = os.Chown(dir, uid, gid)
	cmd, err := asPostgres(initdb, "-D", dir+"/data", "-U", "postgres", "--auth=trust", "--no-sync")
	if err != nil {
		return nil, err
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	srv, _ := asPostgres(server, "-D", dir+"/data", "-k", dir, "-p", strconv.Itoa(port), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off")
	srv.Stdout, srv.Stderr = io.Discard, io.Discard
	if err := srv.Start(); err != nil {
		return nil, err
	}
	stop := func() { _ = srv.Process.Signal(os.Interrupt); _ = srv.Wait(); _ = os.RemoveAll(dir) }
	if err := waitPort(port); err != nil {
		stop()
		return nil, err
	}
	p := strconv.Itoa(port)
	time.Sleep(500 * time.Millisecond)
	if out, err := exec.Command(pgbench, "-i", "-s", "1", "-q", "-h", "127.0.0.1", "-p", p, "-U", "postgres", "postgres").CombinedOutput(); err != nil {
		stop()
		return nil, fmt.Errorf("pgbench -i: %v %s", err, out)
	}
	return &target{
		describe: fmt.Sprintf("PostgreSQL on 127.0.0.1:%d (postmaster pid %d), load: pgbench -M prepared -c 4 -S -T <duration>", port, srv.Process.Pid),
		pid:      srv.Process.Pid,
		port:     port,
		stop:     stop,
		run: func(d time.Duration) (float64, time.Duration, error) {
			cmd := exec.Command(pgbench, "-M", "prepared", "-c", "4", "-S", "-n", "-T", strconv.Itoa(int(d.Seconds())), "-h", "127.0.0.1", "-p", p, "-U", "postgres", "postgres")
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
	}, nil
}

// httpTarget is the Go server loaded by wrk.
func httpTarget(conns int, path string) (*target, error) {
	if _, err := exec.LookPath("wrk"); err != nil {
		return nil, fmt.Errorf("needs wrk (apt-get install wrk): %w", err)
	}
	srv, addr, err := startServer()
	if err != nil {
		return nil, err
	}
	url := "http://" + addr + path
	return &target{
		describe: fmt.Sprintf("Go net/http on %s (pid %d), load: wrk -t1 -c%d %s", addr, srv.Process.Pid, conns, url),
		pid:      srv.Process.Pid,
		stop:     func() { _ = srv.Process.Kill(); _ = srv.Wait() },
		run:      func(d time.Duration) (float64, time.Duration, error) { return runWrk(url, conns, d) },
	}, nil
}
