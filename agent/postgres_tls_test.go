package agent

import (
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-dev/vigil/agent/traffic"
	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/testserver"
)

// TestPostgresOverTLS: psql with sslmode=require against a PostgreSQL
// serving TLS, OpenSSL on both ends. The server answers the SSLRequest
// with one printable byte, 'S', before the handshake: the connection must
// not be taken for plain text then, or the plaintext of both ends is lost.
// Each statement is one client span (psql) and one server span (the
// backend), read from the TLS plaintext.
func TestPostgresOverTLS(t *testing.T) {
	needBPF(t)
	psql := pgBinary("psql")
	if psql == "" {
		t.Skip("PostgreSQL is not installed (apt-get install postgresql; make test installs it)")
	}
	port := startPostgresTLS(t)
	a := startAgent(t, func(c *config.Agent) { c.Ports = []int{port} })

	const query = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
	conn := "host=127.0.0.1 port=" + strconv.Itoa(port) + " user=postgres dbname=postgres sslmode=require"
	cmd := exec.Command(psql, conn, "-At", "-c", query, "-c", "SELECT 1/0")
	out, _ := cmd.CombinedOutput() // the division fails: psql exits 1
	if got, _, _ := strings.Cut(string(out), "\n"); got != "t" {
		t.Fatalf("psql over TLS: %q, want t (the session encrypted)", out)
	}
	isQuery := func(s *span.Span) bool { return s.DB != nil && s.DB.Statement == query }
	spans := a.waitSpans(t, 2, isQuery)
	failed := a.waitSpans(t, 2, func(s *span.Span) bool { return s.DB != nil && s.DB.Statement == "SELECT ?/?" })
	a.stop(t)
	for stmt, set := range map[string][]span.Span{query: spans, "SELECT ?/?": failed} {
		for _, s := range set {
			if s.Span.Kind == span.KindClient && s.Process.PID != cmd.Process.Pid {
				t.Errorf("client span %q from pid %d, want psql's %d", s.DB.Statement, s.Process.PID, cmd.Process.Pid)
			}
			if s.Vigil.Incomplete || s.Span.Subtype != "postgresql" {
				t.Errorf("%s span %q: incomplete %v (%s), subtype %s", s.Span.Kind, s.DB.Statement, s.Vigil.Incomplete, s.Vigil.Reason, s.Span.Subtype)
			}
			if s.DB.Statement == "SELECT ?/?" && (s.DB.ErrorCode != "22012" || s.Event.Outcome != span.OutcomeFailure) {
				t.Errorf("%s span of the division: error %q outcome %s, want 22012 failure", s.Span.Kind, s.DB.ErrorCode, s.Event.Outcome)
			}
		}
		oneSpanPerEnd(t, stmt, set)
	}
}

// oneSpanPerEnd checks that the spans of a statement are one client span
// and one server span: both ends traced.
func oneSpanPerEnd(t *testing.T, stmt string, spans []span.Span) {
	t.Helper()
	kinds := map[string]int{}
	for _, s := range spans {
		kinds[s.Span.Kind]++
	}
	if kinds[span.KindClient] != 1 || kinds[span.KindServer] != 1 {
		t.Errorf("%q: spans by kind %v, want one client and one server span", stmt, kinds)
	}
}

// startPostgresTLS runs a throwaway cluster serving TLS with a fresh
// self-signed certificate until the test ends.
func startPostgresTLS(t *testing.T) int {
	t.Helper()
	certFile, keyFile := postgresCert(t)
	return testserver.ForTest(t, func() (*testserver.Server, error) {
		return testserver.Postgres("ssl=on", "ssl_cert_file="+certFile, "ssl_key_file="+keyFile)
	}).Port
}

// postgresCert writes a self-signed certificate and key the postgres user
// may read: the server refuses a key others can read.
func postgresCert(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	// Not under t.TempDir(): its parent is closed to other users.
	dir, err := os.MkdirTemp("", "vigil-pg-cert-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	certFile, keyFile, err = traffic.WriteSelfSigned(dir)
	if err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		return certFile, keyFile
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Skipf("no postgres user: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	for _, p := range []string{dir, certFile, keyFile} {
		if err := os.Chown(p, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile
}
