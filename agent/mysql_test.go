package agent

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/agent/traffic"
	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/testserver"
)

// startMariaDB runs a throwaway MariaDB on a free loopback port with user
// vigil (mysql_native_password) and database vigiltest.
func startMariaDB(t *testing.T) int {
	return testserver.ForTest(t, func() (*testserver.Server, error) { return testserver.MariaDB() }).Port
}

// startMariaDBTLS is startMariaDB serving TLS too, with a fresh
// self-signed certificate.
func startMariaDBTLS(t *testing.T) int {
	t.Helper()
	certFile, keyFile, err := traffic.WriteSelfSigned(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return testserver.ForTest(t, func() (*testserver.Server, error) {
		return testserver.MariaDB("--ssl-cert="+certFile, "--ssl-key="+keyFile)
	}).Port
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

// TestMySQLOverTLS: the mariadb client with --ssl against a MariaDB serving
// TLS, OpenSSL on both ends. The greeting and the client's SSL request go
// in the clear, the rest through TLS: the parser goes on in the plaintext,
// so each statement is one client span (mariadb) and one server span
// (mariadbd) with the database named in the encrypted handshake response,
// and the failed one carries its error code.
func TestMySQLOverTLS(t *testing.T) {
	needBPF(t)
	port := startMariaDBTLS(t)
	a := startAgent(t, func(c *config.Agent) { c.Ports = []int{port} })
	const query = "SHOW SESSION STATUS LIKE 'Ssl_version'"
	cli := exec.Command("mariadb", "--no-defaults", "--ssl", "--disable-ssl-verify-server-cert", "-h", "127.0.0.1", "-P", strconv.Itoa(port),
		"-uvigil", "-pvigilpw", "--force", "-N", "vigiltest", "-e", query+"; SELECT * FROM no_such_table")
	out, _ := cli.CombinedOutput() // the missing table fails, --force goes on
	if !strings.Contains(string(out), "Ssl_version\tTLSv1") {
		t.Fatalf("mariadb over TLS: %q, want an Ssl_version of TLSv1.x", out)
	}
	for _, tc := range []struct {
		stmt, code string
	}{{"SHOW SESSION STATUS LIKE ?", ""}, {"SELECT * FROM no_such_table", "1146/42S02"}} {
		got := a.waitSpans(t, 2, func(s *span.Span) bool { return s.DB != nil && s.DB.Statement == tc.stmt })
		for _, s := range got {
			// The database comes from the handshake response, sent
			// inside TLS.
			if s.DB.ErrorCode != tc.code || s.Span.Subtype != "mysql" || s.Vigil.Incomplete || s.DB.Instance != testserver.MariaDBDatabase {
				t.Errorf("%s span %q: error %q, subtype %s, instance %q, incomplete %v (%s); want error %q", s.Span.Kind, tc.stmt, s.DB.ErrorCode, s.Span.Subtype, s.DB.Instance, s.Vigil.Incomplete, s.Vigil.Reason, tc.code)
			}
			if s.Span.Kind == span.KindClient && s.Process.PID != cli.Process.Pid {
				t.Errorf("client span %q from pid %d, want mariadb's %d", tc.stmt, s.Process.PID, cli.Process.Pid)
			}
		}
		oneSpanPerEnd(t, tc.stmt, got)
	}
	a.stop(t)
}
