package agent

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/testserver"
)

// pgBinary is a PostgreSQL program's path (Debian keeps them off PATH).
func pgBinary(name string) string { return testserver.PGBinary(name) }

// startPostgres runs a throwaway cluster (trust authentication) on a free
// loopback port until the test ends.
func startPostgres(t *testing.T) int {
	t.Helper()
	if pgBinary("pgbench") == "" {
		t.Skip("pgbench is not installed (apt-get install postgresql-contrib; make test installs it)")
	}
	return testserver.ForTest(t, func() (*testserver.Server, error) { return testserver.Postgres() }).Port
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
