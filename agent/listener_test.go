package agent

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startListening starts the server command(port) makes on a free port of
// the loopback address host (127.0.0.1 or ::1) and waits until that very
// process listens there. A port found free may be taken by another test's
// server before ours binds it: ours then exits and is started again on
// another port (three tries), and the other one answering is not taken for
// ours. The process is killed when the test ends.
func startListening(t *testing.T, host string, command func(port int) *exec.Cmd) (int, *exec.Cmd) {
	t.Helper()
	var errs []string
	name := ""
	for range 3 {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			t.Fatalf("finding a free port on %s: %v", host, err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		cmd := command(port)
		name = filepath.Base(cmd.Path)
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting %s: %v", cmd.Path, err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
		err = waitOwnListener(cmd.Process.Pid, port, exited, 15*time.Second)
		if err == nil {
			return port, cmd
		}
		errs = append(errs, fmt.Sprintf("port %d: %v", port, err))
		_ = cmd.Process.Kill()
	}
	t.Fatalf("%s never listened: %s", name, strings.Join(errs, "; "))
	return 0, nil
}

// waitOwnListener waits until process pid holds a socket listening on
// port, or the process exits.
func waitOwnListener(pid, port int, exited <-chan struct{}, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("exited before listening")
		default:
		}
		inodes, err := listeningInodes(port)
		if err != nil {
			return err
		}
		for _, ino := range inodes {
			if holdsSocket(pid, ino) {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("not listening after %s", timeout)
}

// listeningInodes returns the inodes of the TCP sockets, IPv4 and IPv6,
// listening on port (state 0A in /proc/net/tcp).
func listeningInodes(port int) ([]string, error) {
	var inodes []string
	for _, name := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(name)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // the header
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[3] != "0A" {
				continue
			}
			_, hexPort, _ := strings.Cut(fields[1], ":")
			if p, err := strconv.ParseUint(hexPort, 16, 16); err == nil && int(p) == port {
				inodes = append(inodes, fields[9])
			}
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
	}
	return inodes, nil
}

// holdsSocket reports whether process pid has the socket inode open.
func holdsSocket(pid int, inode string) bool {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	want := "socket:[" + inode + "]"
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil && l == want {
			return true
		}
	}
	return false
}
