// Package testserver starts throwaway Redis, PostgreSQL and MariaDB servers
// on free loopback ports for the tests and load benchmarks that need real
// peers. It holds no state: each call starts its own server in its own
// directory, and Stop removes both.
package testserver

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// ErrNotInstalled is wrapped by errors about a missing server program, so
// tests can skip instead of fail.
var ErrNotInstalled = errors.New("not installed")

// Server is one running server.
type Server struct {
	Port int
	PID  int    // the server's (for PostgreSQL the postmaster's) process id
	Dir  string // its data and socket directory
	stop func()
}

// Addr is the server's loopback address.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// Stop ends the server and removes its directory.
func (s *Server) Stop() {
	s.stop()
	_ = os.RemoveAll(s.Dir)
}

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

// waitReady polls ready until it succeeds or timeout passes.
func waitReady(name string, timeout time.Duration, ready func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not start within %s: %w", name, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func dialable(port int) func() error {
	return func() error {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			c.Close()
		}
		return err
	}
}

// start runs cmd as the server of a fresh Server in dir; stopSignal ends it.
func start(cmd *exec.Cmd, dir string, port int, stopSignal os.Signal) (*Server, error) {
	if err := cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("starting %s: %w", filepath.Base(cmd.Path), err)
	}
	return &Server{Port: port, PID: cmd.Process.Pid, Dir: dir, stop: func() {
		_ = cmd.Process.Signal(stopSignal)
		_ = cmd.Wait()
	}}, nil
}

// Redis starts redis-server without persistence.
func Redis() (*Server, error) {
	if err := need("redis-server", "redis-server"); err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "vigil-redis-")
	if err != nil {
		return nil, err
	}
	s, err := start(exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir), dir, port, os.Kill)
	if err != nil {
		return nil, err
	}
	if err := waitReady("redis-server", 10*time.Second, dialable(port)); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}
