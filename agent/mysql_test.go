package agent

import (
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/testserver"
)

// startMariaDB runs a throwaway MariaDB on a free loopback port with user
// vigil (mysql_native_password) and database vigiltest.
func startMariaDB(t *testing.T) int {
	return testserver.ForTest(t, testserver.MariaDB).Port
}

// TestMySQLSpans traces the mariadb client over TCP against a real MariaDB:
// each statement is a client span with its normalised SQL and row count,
// and a duplicate key carries 1062/23000.
func TestMySQLSpans(t *testing.T) {
	port := startMariaDB(t)
	a := startAgent(t, func(c *config.Agent) { c.Ports = []int{port} })
	time.Sleep(200 * time.Millisecond)
	sql := "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20));" +
		"INSERT INTO items VALUES (1, 'apple'), (2, 'pear'), (3, 'plum');" +
		"SELECT name FROM items WHERE id > 1;" +
		"INSERT INTO items VALUES (1, 'again');"
	cli := exec.Command("mariadb", "--no-defaults", "-h", "127.0.0.1", "-P", strconv.Itoa(port), "-uvigil", "-pvigilpw", "--force", "vigiltest", "-e", sql)
	out, _ := cli.CombinedOutput() // the duplicate key fails, --force goes on
	fromCLI := func(s *span.Span) bool {
		return s.DB != nil && s.Span.Kind == span.KindClient && s.Process.PID == cli.Process.Pid && s.DB.Operation != "COM_QUIT"
	}
	got := a.waitSpans(t, 4, fromCLI)
	a.stop(t)
	byStmt := map[string]*span.Span{}
	for i := range got {
		byStmt[got[i].DB.Statement] = &got[i]
	}
	check := func(stmt string, rows int64, code string) {
		t.Helper()
		s := byStmt[stmt]
		if s == nil {
			t.Errorf("no span %q; spans: %v (mariadb said %s)", stmt, statements(got), out)
			return
		}
		if s.DB.RowsAffected != rows || s.DB.ErrorCode != code || s.Span.Subtype != "mysql" || s.DB.Instance != "vigiltest" {
			t.Errorf("span %q: rows %d, error %q, subtype %s, instance %s; want rows %d, error %q", stmt, s.DB.RowsAffected, s.DB.ErrorCode, s.Span.Subtype, s.DB.Instance, rows, code)
		}
	}
	check("INSERT INTO items VALUES (?, ?), (?, ?), (?, ?)", 3, "")
	check("SELECT name FROM items WHERE id > ?", 2, "")
	check("INSERT INTO items VALUES (?, ?)", -1, "1062/23000")
}

func statements(spans []span.Span) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.DB.Statement)
	}
	return out
}
