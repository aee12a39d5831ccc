package agent

import (
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/span"
)

func pgBinary(name string) string {
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(m) == 0 {
		return ""
	}
	return m[len(m)-1]
}

// asPostgresUser runs a server program as the postgres user when the test
// runs as root: the server refuses root.
func asPostgresUser(t *testing.T, args ...string) *exec.Cmd {
	cmd := exec.Command(args[0], args[1:]...)
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("running as root without a postgres user")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}
	return cmd
}

// startPostgres runs a throwaway cluster (trust authentication) on a free
// loopback port until the test ends.
func startPostgres(t *testing.T) int {
	t.Helper()
	initdb, server := pgBinary("initdb"), pgBinary("postgres")
	if initdb == "" || server == "" || pgBinary("pgbench") == "" || pgBinary("psql") == "" {
		t.Skip("PostgreSQL is not installed (apt-get install postgresql; make test installs it)")
	}
	dir, err := os.MkdirTemp("", "vigil-agent-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		if u, err := user.Lookup("postgres"); err == nil {
			uid, _ := strconv.Atoi(u.Uid)
			gid, _ := strconv.Atoi(u.Gid)
			_ = os.Chown(dir, uid, gid)
		}
	}
	if out, err := asPostgresUser(t, initdb, "-D", dir+"/data", "-U", "postgres", "--auth=trust", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v %s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := asPostgresUser(t, server, "-D", dir+"/data", "-k", dir, "-p", strconv.Itoa(port), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() })
	for i := 0; ; i++ {
		if err := exec.Command(pgBinary("psql"), "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "postgres", "-c", "SELECT 1").Run(); err == nil {
			return port
		}
		if i > 100 {
			t.Fatal("PostgreSQL did not start")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestPostgresSpans traces pgbench in prepared mode and an error from psql
// against a real PostgreSQL: each statement of every transaction is one
// client span carrying its SQL text, even when executed by name long after
// it was prepared; the error carries its SQLSTATE.
func TestPostgresSpans(t *testing.T) {
	port := startPostgres(t)
	p := strconv.Itoa(port)
	pgbench := pgBinary("pgbench")
	if out, err := exec.Command(pgbench, "-i", "-s", "1", "-q", "-h", "127.0.0.1", "-p", p, "-U", "postgres", "postgres").CombinedOutput(); err != nil {
		t.Fatalf("pgbench -i: %v %s", err, out)
	}
	a := startAgent(t, func(c *config.Agent) { c.Ports = []int{port} })
	time.Sleep(200 * time.Millisecond)
	const tx = 50
	bench := exec.Command(pgbench, "-M", "prepared", "-n", "-t", strconv.Itoa(tx), "-c", "1", "-h", "127.0.0.1", "-p", p, "-U", "postgres", "postgres")
	if out, err := bench.CombinedOutput(); err != nil {
		t.Fatalf("pgbench: %v %s", err, out)
	}
	_ = exec.Command(pgBinary("psql"), "-h", "127.0.0.1", "-p", p, "-U", "postgres", "-c", "SELECT 1/0").Run()

	fromBench := func(s *span.Span) bool {
		return s.DB != nil && s.Span.Kind == span.KindClient && s.Process.PID == bench.Process.Pid
	}
	got := a.waitSpans(t, 7*tx, fromBench)
	all := a.stop(t)
	count := map[string]int{}
	for _, s := range got {
		count[s.Span.Name]++
		if s.Vigil.Incomplete || s.Span.Subtype != "postgresql" {
			t.Errorf("span %s %q: incomplete %v (%s), subtype %s", s.Span.Name, s.DB.Statement, s.Vigil.Incomplete, s.Vigil.Reason, s.Span.Subtype)
		}
		if s.Span.Name == "UPDATE" && !strings.HasPrefix(s.DB.Statement, "UPDATE pgbench_") {
			t.Errorf("UPDATE span without its prepared statement's text: %q", s.DB.Statement)
		}
	}
	// pgbench's TPC-B-like transaction: BEGIN, 3 UPDATEs, SELECT, INSERT, END.
	for name, n := range map[string]int{"BEGIN": tx, "UPDATE": 3 * tx, "INSERT": tx, "COMMIT": tx} {
		if count[name] != n {
			t.Errorf("%s: %d spans, want %d (%v)", name, count[name], n, count)
		}
	}
	if count["SELECT"] < tx {
		t.Errorf("SELECT: %d spans, want at least %d", count["SELECT"], tx)
	}
	var divByZero bool
	for _, s := range all {
		if s.DB != nil && s.Span.Kind == span.KindClient && s.DB.ErrorCode == "22012" && s.Event.Outcome == span.OutcomeFailure {
			divByZero = s.DB.Statement == "SELECT ?/?"
		}
	}
	if !divByZero {
		t.Error("no failed client span SELECT ?/? with SQLSTATE 22012 (division by zero)")
	}
}
