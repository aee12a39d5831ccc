package testserver

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Listening starts the server command builds for a free loopback port and
// returns it once that very process listens there (the socket among its
// descriptors), for servers with no query that tells them apart (nginx,
// Python's http.server): another test's server on a reused port is not
// taken for it. Stop kills the process; the caller owns its files.
func Listening(name string, command func(port int) *exec.Cmd) (*Server, error) {
	return launch(name, "", 15*time.Second, os.Kill, FreePort, command, func(s *Server) error {
		return holdsListener(s.PID, s.Port)
	})
}

// holdsListener says whether process pid holds a TCP socket, IPv4 or IPv6,
// listening on port.
func holdsListener(pid, port int) error {
	inodes, err := listeningInodes(port)
	if err != nil {
		return err
	}
	for _, ino := range inodes {
		if holdsSocket(pid, ino) {
			return nil
		}
	}
	return fmt.Errorf("process %d does not listen on port %d", pid, port)
}

// listeningInodes returns the inodes of the TCP sockets listening on port
// (state 0A in /proc/net/tcp and tcp6).
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
