package agent

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/span"
)

const driverRows = 20

// pgxClient is the child process of TestPgxSpans: pgx caches prepared
// statements, so the INSERT is parsed once and executed by name after.
func pgxClient(dsn string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE TABLE orders (id int PRIMARY KEY, note text)"); err != nil {
		return err
	}
	for i := range driverRows {
		if _, err := c.Exec(ctx, "INSERT INTO orders (id, note) VALUES ($1, $2)", i, "secret-note-"+strconv.Itoa(i)); err != nil {
			return err
		}
	}
	var n int
	return c.QueryRow(ctx, "SELECT count(*) FROM orders WHERE id >= $1", 0).Scan(&n)
}

// mysqlGoClient is the child process of TestGoMySQLSpans: prepared
// statements of go-sql-driver/mysql (COM_STMT_PREPARE once, EXECUTE many).
func mysqlGoClient(dsn string) error {
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("CREATE TABLE orders (id INT PRIMARY KEY, note VARCHAR(40))"); err != nil {
		return err
	}
	st, err := db.Prepare("INSERT INTO orders (id, note) VALUES (?, ?)")
	if err != nil {
		return err
	}
	defer st.Close()
	for i := range driverRows {
		if _, err := st.Exec(i, "secret-note-"+strconv.Itoa(i)); err != nil {
			return err
		}
	}
	var n int
	return db.QueryRow("SELECT COUNT(*) FROM orders WHERE id >= ?", 0).Scan(&n)
}

func runDriver(t *testing.T, mode, dsn string) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "VIGIL_TRAFFIC="+mode, "VIGIL_TRAFFIC_URL="+dsn)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s client: %v %s", mode, err, out)
	}
	return cmd.Process.Pid
}

// driverSpans checks the client spans of one driver process: each INSERT
// executed is one INSERT span (preparing and closing the statement are
// not), carrying the prepared statement's text, no parameter value.
func driverSpans(t *testing.T, a *running, pid int, insert string) []span.Span {
	t.Helper()
	fromPID := func(s *span.Span) bool {
		return s.DB != nil && s.Span.Kind == span.KindClient && s.Process.PID == pid && s.DB.Operation == "INSERT"
	}
	got := a.waitSpans(t, driverRows, fromPID)
	all := a.stop(t)
	if len(got) != driverRows {
		t.Errorf("%d INSERT spans from the driver, want %d", len(got), driverRows)
	}
	for _, s := range got {
		if s.DB.Statement != insert || s.Vigil.Incomplete || s.Event.Outcome != span.OutcomeSuccess {
			t.Errorf("INSERT span: statement %q, incomplete %v (%s), outcome %s; want %q", s.DB.Statement, s.Vigil.Incomplete, s.Vigil.Reason, s.Event.Outcome, insert)
		}
	}
	for _, s := range all {
		if doc := string(s.AppendJSON(nil)); s.DB != nil && strings.Contains(doc, "secret-note-") {
			t.Errorf("a parameter value reached a span: %s", doc)
		}
	}
	return all
}

// probeThisBinary runs a process of this test binary until the test ends:
// the agent, started after it, probes the binary's crypto/tls at its start,
// and the probes hold for the driver process run later from the same
// file. A program started after the agent is probed within a few hundred
// milliseconds of its exec, too late for a driver that is done by then.
func probeThisBinary(t *testing.T) { startServer(t) }

// driverServer starts a database server (withTLS's when useTLS, this
// test binary then probed first) and an agent tracing its port; it
// returns the port and the agent.
func driverServer(t *testing.T, useTLS bool, plain, withTLS func(*testing.T) int) (int, *running) {
	start := plain
	if useTLS {
		probeThisBinary(t)
		start = withTLS
	}
	port := start(t)
	a := startAgent(t, func(c *config.Agent) { c.Ports = []int{port} })
	time.Sleep(200 * time.Millisecond)
	return port, a
}

// TestPgxSpans: pgx without TLS, and with sslmode=require against a
// server with a certificate (Go's crypto/tls, read through its uprobes).
func TestPgxSpans(t *testing.T) {
	for _, tc := range []struct {
		name, sslmode string
		tls           bool
	}{{"plain", "disable", false}, {"tls", "require", true}} {
		t.Run(tc.name, func(t *testing.T) {
			port, a := driverServer(t, tc.tls, startPostgres, startPostgresTLS)
			pid := runDriver(t, "pgx", fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=%s", port, tc.sslmode))
			driverSpans(t, a, pid, "INSERT INTO orders (id, note) VALUES ($1, $2)")
		})
	}
}

// TestGoMySQLSpans: go-sql-driver/mysql without TLS, and with TLS
// (tls=skip-verify) against a server with a certificate.
func TestGoMySQLSpans(t *testing.T) {
	for _, tc := range []struct {
		name, params string
		tls          bool
	}{{"plain", "", false}, {"tls", "?tls=skip-verify", true}} {
		t.Run(tc.name, func(t *testing.T) {
			port, a := driverServer(t, tc.tls, startMariaDB, startMariaDBTLS)
			pid := runDriver(t, "mysql-go", fmt.Sprintf("vigil:vigilpw@tcp(127.0.0.1:%d)/vigiltest%s", port, tc.params))
			const insert = "INSERT INTO orders (id, note) VALUES (?, ?)"
			prepared := 0
			for _, s := range driverSpans(t, a, pid, insert) {
				if s.DB != nil && s.Span.Kind == span.KindClient && s.DB.Operation == "COM_STMT_PREPARE" && s.DB.Statement == insert {
					prepared++
				}
			}
			if prepared != 1 {
				t.Errorf("%d COM_STMT_PREPARE spans of the INSERT, want 1", prepared)
			}
		})
	}
}
