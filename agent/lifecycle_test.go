package agent

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/span"
)

// TestCgroupFilter traces the processes of one cgroup and nothing else.
func TestCgroupFilter(t *testing.T) {
	needBPF(t)
	srv := startServer(t)
	dir := testCgroup(t, srv.cmd)
	a := startAgent(t, func(c *config.Agent) { c.Cgroups = []string{dir} })
	runClient(t, clientEnv(srv, "/hello", 4, 1)...)
	got := a.waitSpans(t, 4, func(s *span.Span) bool { return s.Process.PID == srv.cmd.Process.Pid })
	time.Sleep(200 * time.Millisecond)
	all := a.stop(t)
	if len(got) != 4 {
		t.Fatalf("got %d spans of the process in the cgroup, want 4", len(got))
	}
	for _, s := range all {
		if s.Process.PID != srv.cmd.Process.Pid {
			t.Errorf("span of pid %d (%s), which is outside the traced cgroup", s.Process.PID, s.Service.Name)
		}
	}
}

// TestCgroupFilterFollowsMoves: a process moved into a traced cgroup while
// the agent runs is traced soon after (the kernel caches each CPU's last
// verdict for a bounded number of socket calls).
func TestCgroupFilterFollowsMoves(t *testing.T) {
	needBPF(t)
	srv := startServer(t)
	other := startServer(t)
	dir := testCgroup(t, other.cmd) // the traced cgroup, holding another server
	a := startAgent(t, func(c *config.Agent) { c.Cgroups = []string{dir} })
	isSrv := func(s *span.Span) bool { return s.Process.PID == srv.cmd.Process.Pid }
	runClient(t, clientEnv(srv, "/hello", 20, 1)...)
	runClient(t, clientEnv(other, "/hello", 4, 1)...)
	a.waitSpans(t, 4, func(s *span.Span) bool { return s.Process.PID == other.cmd.Process.Pid })
	if got := countSpans(a.sink.snapshot(), isSrv); got != 0 {
		t.Fatalf("%d spans of the server outside the traced cgroup", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(srv.cmd.Process.Pid)), 0); err != nil {
		t.Fatalf("moving the server into %s: %v", dir, err)
	}
	// 600 requests are over 1,000 socket calls of the server: well past
	// the verdict's bound of 256 uses per CPU.
	runClient(t, clientEnv(srv, "/hello", 600, 1)...)
	got := a.waitSpans(t, 300, isSrv)
	a.stop(t)
	if len(got) < 300 {
		t.Errorf("%d spans of the server once in the traced cgroup, want most of 600", len(got))
	}
}

func countSpans(spans []span.Span, keep func(*span.Span) bool) int {
	n := 0
	for i := range spans {
		if keep(&spans[i]) {
			n++
		}
	}
	return n
}

// testCgroup makes a cgroup for the test, moves cmd's process into it and
// removes it when the test ends (after killing the process).
func testCgroup(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	parent := "/sys/fs/cgroup/memory"
	if _, err := os.Stat(filepath.Join(parent, "cgroup.procs")); err != nil {
		parent = "/sys/fs/cgroup" // cgroup v2
		if _, err := os.Stat(filepath.Join(parent, "cgroup.procs")); err != nil {
			t.Skip("no writable cgroup hierarchy at /sys/fs/cgroup/memory or /sys/fs/cgroup")
		}
	}
	dir := filepath.Join(parent, fmt.Sprintf("vigil-test-%d-%d", os.Getpid(), cmd.Process.Pid))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("cannot create a cgroup (%v)", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
		for i := 0; i < 50 && os.Remove(dir) != nil; i++ {
			time.Sleep(20 * time.Millisecond)
		}
	})
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(cmd.Process.Pid)), 0); err != nil {
		t.Fatalf("moving the process into %s: %v", dir, err)
	}
	return dir
}

// TestServerDiesMidRequest: the request a dying process never answered is
// reported incomplete, and the agent goes on tracing.
func TestServerDiesMidRequest(t *testing.T) {
	srv := startServer(t)
	a := startAgent(t, func(c *config.Agent) { c.PIDs = []int{srv.cmd.Process.Pid} })
	conn, err := net.Dial("tcp", srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A request whose body never fully arrives keeps the server reading.
	if _, err := conn.Write([]byte("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\npartial")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, _ = srv.cmd.Process.Wait()
	spans := a.waitSpans(t, 1, func(s *span.Span) bool { return s.HTTP != nil && s.HTTP.Request.Path == "/echo" })
	if len(spans) != 1 || !spans[0].Vigil.Incomplete || spans[0].HTTP.Response.StatusCode != 0 {
		t.Fatalf("want one incomplete /echo span without status, got %+v", spans)
	}
	if !strings.Contains(spans[0].Vigil.Reason, "closed") {
		t.Errorf("reason %q does not say the connection closed", spans[0].Vigil.Reason)
	}

	// The agent keeps going: a new server (new pid) traced by a new filter.
	srv2 := startServer(t)
	if err := a.agent.Capture().SetFilter(Filter{PIDs: []uint32{uint32(srv2.cmd.Process.Pid)}}); err != nil {
		t.Fatal(err)
	}
	runClient(t, clientEnv(srv2, "/hello", 3, 1)...)
	if got := a.waitSpans(t, 3, func(s *span.Span) bool { return s.Process.PID == srv2.cmd.Process.Pid }); len(got) != 3 {
		t.Fatalf("after the first server died, got %d spans of the second, want 3", len(got))
	}
}
