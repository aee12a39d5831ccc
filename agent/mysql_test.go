package agent

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/span"
)

// startMariaDB runs a throwaway MariaDB on a free loopback port with user
// vigil (mysql_native_password) and database vigiltest.
func startMariaDB(t *testing.T) int {
	t.Helper()
	for _, bin := range []string{"mariadbd", "mariadb-install-db", "mariadb"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s is not installed (apt-get install mariadb-server mariadb-client; make test installs them)", bin)
		}
	}
	dir, err := os.MkdirTemp("", "vigil-agent-mysql-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	data := filepath.Join(dir, "data")
	if out, err := exec.Command("mariadb-install-db", "--no-defaults", "--datadir="+data, "--user=root",
		"--auth-root-authentication-method=normal").CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	sock := filepath.Join(dir, "sock")
	srv := exec.Command("mariadbd", "--no-defaults", "--datadir="+data, "--socket="+sock, "--user=root",
		fmt.Sprintf("--port=%d", port), "--bind-address=127.0.0.1", "--skip-log-bin", "--innodb-buffer-pool-size=16M",
		"--pid-file="+filepath.Join(dir, "pid"), "--log-error="+filepath.Join(dir, "err.log"))
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	setup := "CREATE DATABASE vigiltest;"
	for _, h := range []string{"localhost", "%"} {
		setup += "CREATE USER 'vigil'@'" + h + "' IDENTIFIED VIA mysql_native_password USING PASSWORD('vigilpw');" +
			"GRANT ALL ON vigiltest.* TO 'vigil'@'" + h + "';"
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := exec.Command("mariadb", "--no-defaults", "-uroot", "--socket="+sock, "-e", setup).CombinedOutput()
		if err == nil {
			return port
		}
		if time.Now().After(deadline) {
			t.Fatalf("MariaDB did not start: %v %s", err, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
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
