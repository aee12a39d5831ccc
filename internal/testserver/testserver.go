// Package testserver starts throwaway Redis, PostgreSQL and MariaDB servers
// on free loopback ports for the tests and load benchmarks that need real
// peers. It holds no state: each call starts its own server in its own
// directory, and Stop removes both.
package testserver

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ErrNotInstalled is wrapped by errors about a missing server program, so
// tests can skip instead of fail.
var ErrNotInstalled = errors.New("not installed")

// Server is one running server.
type Server struct {
	Port   int
	PID    int    // the server's (for PostgreSQL the postmaster's) process id
	Dir    string // its data and socket directory
	stop   func()
	exited chan struct{} // closed when the process has exited
}

// Addr is the server's loopback address.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// Stop ends the server and removes its directory.
func (s *Server) Stop() {
	s.stop()
	_ = os.RemoveAll(s.Dir)
}

// errExited: the server exited before it was ready, as when another
// process took its port between FreePort and the server's bind.
var errExited = errors.New("exited before it was ready")

// need returns an error wrapping ErrNotInstalled unless every program is on
// PATH; install names the Debian packages that hold them.
func need(install string, programs ...string) error {
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			return fmt.Errorf("%s is %w (apt-get install %s)", p, ErrNotInstalled, install)
		}
	}
	return nil
}

// FreePort returns a loopback TCP port nothing listens on right now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady polls ready until it succeeds, the server exits or timeout
// passes.
func waitReady(name string, timeout time.Duration, s *Server, ready func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("%s %w (last check: %v)", name, errExited, err)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not start within %s: %w", name, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// start runs cmd as the server of a fresh Server in dir; stopSignal ends it.
func start(cmd *exec.Cmd, dir string, port int, stopSignal os.Signal) (*Server, error) {
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", filepath.Base(cmd.Path), err)
	}
	s := &Server{Port: port, PID: cmd.Process.Pid, Dir: dir, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.exited) }()
	s.stop = func() {
		_ = cmd.Process.Signal(stopSignal)
		<-s.exited
	}
	return s, nil
}

// launch starts a server in dir on a port from freePort (FreePort):
// command builds its command for a port, ready tells whether the server answering there is this one
// and accepts work. A server that exits before it is ready is started
// again on another port, up to three tries: tests in other packages take
// ports too. On failure the caller removes dir.
func launch(name, dir string, timeout time.Duration, stopSignal os.Signal, freePort func() (int, error),
	command func(port int) *exec.Cmd, ready func(s *Server) error) (*Server, error) {
	var err error
	for range 3 {
		var port int
		if port, err = freePort(); err != nil {
			break
		}
		var s *Server
		if s, err = start(command(port), dir, port, stopSignal); err != nil {
			break
		}
		if err = waitReady(name, timeout, s, func() error { return ready(s) }); err == nil {
			return s, nil
		}
		s.stop()
		if !errors.Is(err, errExited) {
			break
		}
	}
	return nil, err
}

// Redis starts a redis-server without persistence on a free loopback port.
func Redis() (*Server, error) {
	return startRedis(nil, func(port int) []string { return []string{"--port", strconv.Itoa(port)} })
}

// RedisTLS starts a redis-server that serves TLS only, with the given
// certificate and key, on its port (clients need no certificate).
func RedisTLS(certFile, keyFile string) (*Server, error) {
	conf := &tls.Config{InsecureSkipVerify: true} // a throwaway self-signed certificate
	return startRedis(conf, func(port int) []string {
		return []string{"--port", "0", "--tls-port", strconv.Itoa(port), "--tls-cert-file", certFile, "--tls-key-file", keyFile, "--tls-auth-clients", "no"}
	})
}

// startRedis starts redis-server with the listening options listen gives
// for a port; conf, when not nil, is how to reach it over TLS.
func startRedis(conf *tls.Config, listen func(port int) []string) (*Server, error) {
	if err := need("redis-server", "redis-server"); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "vigil-redis-")
	if err != nil {
		return nil, err
	}
	s, err := launch("redis-server", dir, 10*time.Second, os.Kill, FreePort, func(port int) *exec.Cmd {
		args := append(listen(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
		return exec.Command("redis-server", args...)
	}, func(s *Server) error {
		v, err := redisInfo(s.Port, conf, "server", "process_id")
		if err == nil && v != strconv.Itoa(s.PID) {
			err = fmt.Errorf("port %d answered by another redis-server (pid %s)", s.Port, v)
		}
		return err
	})
	if err != nil {
		_ = os.RemoveAll(dir)
	}
	return s, err
}

// RedisInfo reads one field of a section of the INFO of the Redis on port.
func RedisInfo(port int, section, field string) (string, error) {
	return redisInfo(port, nil, section, field)
}

// redisInfo is RedisInfo, over TLS when conf is not nil.
func redisInfo(port int, conf *tls.Config, section, field string) (string, error) {
	addr := "127.0.0.1:" + strconv.Itoa(port)
	d := &net.Dialer{Timeout: time.Second}
	var c net.Conn
	var err error
	if conf != nil {
		c, err = tls.DialWithDialer(d, "tcp", addr, conf)
	} else {
		c, err = d.Dial("tcp", addr)
	}
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := fmt.Fprintf(c, "*2\r\n$4\r\nINFO\r\n$%d\r\n%s\r\n", len(section), section); err != nil {
		return "", err
	}
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return "", fmt.Errorf("reading INFO %s for %s: %w", section, field, err)
		}
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strings.TrimSpace(v), nil
		}
	}
}
