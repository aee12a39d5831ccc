package testserver

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A redis-server started on a port another Redis holds exits; the other
// one answering there is not taken for it, and the next try, on a port of
// its own, is the server returned.
func TestLaunchRetriesWhenThePortIsTaken(t *testing.T) {
	other := ForTest(t, Redis)
	dir := t.TempDir()
	var ports []int
	freePort := func() (int, error) {
		if len(ports) == 0 {
			return other.Port, nil // as if the free port had been taken meanwhile
		}
		return FreePort()
	}
	foreign := 0
	s, err := launch("redis-server", dir, 10*time.Second, os.Kill, freePort, func(port int) *exec.Cmd {
		ports = append(ports, port)
		return exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
	}, func(s *Server) error {
		pid, err := RedisInfo(s.Port, "server", "process_id")
		if err == nil && pid != strconv.Itoa(s.PID) {
			foreign++
			return os.ErrExist
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if len(ports) != 2 || ports[0] != other.Port || ports[1] == other.Port {
		t.Fatalf("tried ports %v, want %d then another", ports, other.Port)
	}
	if foreign == 0 {
		t.Errorf("the other Redis never answered the first try's checks")
	}
	if pid, err := RedisInfo(s.Port, "server", "process_id"); err != nil || pid != strconv.Itoa(s.PID) {
		t.Fatalf("the server returned answers as pid %s (%v), want %d", pid, err, s.PID)
	}
}

// A server that never starts is tried three times, and the error says why.
func TestLaunchGivesUp(t *testing.T) {
	tries := 0
	_, err := launch("nothing", t.TempDir(), 5*time.Second, os.Kill, FreePort, func(int) *exec.Cmd {
		tries++
		return exec.Command("sh", "-c", "exit 1")
	}, func(*Server) error { return os.ErrNotExist })
	if err == nil || tries != 3 || !strings.Contains(err.Error(), "exited before it was ready") {
		t.Fatalf("after %d tries: %v", tries, err)
	}
}

// Listening returns a server once that process holds the listening socket,
// and a process that does not is not taken for it.
func TestListening(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("needs python3")
	}
	s := ForTest(t, func() (*Server, error) {
		return Listening("python3 -m http.server", func(port int) *exec.Cmd {
			return exec.Command(python, "-m", "http.server", "--bind", "127.0.0.1", "--directory", t.TempDir(), strconv.Itoa(port))
		})
	})
	if err := holdsListener(s.PID, s.Port); err != nil {
		t.Fatal(err)
	}
	if err := holdsListener(os.Getpid(), s.Port); err == nil {
		t.Errorf("this test process taken for the listener of port %d", s.Port)
	}
}
