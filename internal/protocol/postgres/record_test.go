package postgres

import (
	"encoding/base64"
	"flag"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.jsonl from a live PostgreSQL")

// pgBin finds a server binary: on PATH or under /usr/lib/postgresql.
func pgBin(name string) string {
	if p, err := exec.LookPath(name); err == nil && name != "postgres" && name != "initdb" {
		return p
	}
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(m) == 0 {
		return ""
	}
	return m[len(m)-1]
}

// cluster is a throwaway server.
type cluster struct {
	dir  string
	port int
	cmd  *exec.Cmd
}

// asPostgres runs a server program as the postgres user when the test runs
// as root (the server refuses root).
func asPostgres(args ...string) *exec.Cmd {
	cmd := exec.Command(args[0], args[1:]...)
	if os.Geteuid() == 0 {
		// Credentials rather than runuser: signals reach the server itself.
		u, err := user.Lookup("postgres")
		if err == nil {
			uid, _ := strconv.Atoi(u.Uid)
			gid, _ := strconv.Atoi(u.Gid)
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
			cmd.Env = append(os.Environ(), "HOME="+u.HomeDir)
		}
	}
	return cmd
}

func startCluster(t *testing.T, auth, password string) *cluster {
	t.Helper()
	initdb, postgres := pgBin("initdb"), pgBin("postgres")
	if initdb == "" || postgres == "" || pgBin("psql") == "" || pgBin("pgbench") == "" {
		t.Skip("PostgreSQL (initdb, postgres, psql, pgbench) is not installed: recording skipped, replays use testdata")
	}
	dir, err := os.MkdirTemp("", "vigil-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("running as root without a postgres user: cannot start a server")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = filepath.Walk(dir, func(p string, _ os.FileInfo, _ error) error { return os.Chown(p, 0, 0) })
		})
	}
	args := []string{initdb, "-D", dir + "/data", "-U", "postgres", "--auth=" + auth, "--no-sync"}
	if password != "" {
		pw := dir + "/pw"
		if err := os.WriteFile(pw, []byte(password+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--pwfile="+pw)
	}
	if out, err := asPostgres(args...).CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	c := &cluster{dir: dir, port: port}
	c.cmd = asPostgres(postgres, "-D", dir+"/data", "-k", dir, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off")
	c.cmd.Stdout, c.cmd.Stderr = io.Discard, io.Discard
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.cmd.Process.Signal(os.Interrupt)
		_ = c.cmd.Wait()
	})
	for i := 0; ; i++ {
		conn, err := net.Dial("tcp", c.addr())
		if err == nil {
			conn.Close()
			break
		}
		if i > 100 {
			t.Fatal("server did not start")
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // accepting connections, not only listening
	return c
}

func (c *cluster) addr() string { return "127.0.0.1:" + strconv.Itoa(c.port) }

// proxy sits between a client and the server and records every read as a
// piece, truncated to the agent's default 1 KiB capture.
type proxy struct {
	l     net.Listener
	mu    sync.Mutex
	recs  []record
	conns int
	base  time.Time
	wg    sync.WaitGroup
}

const captureLen = 1024

func startProxy(t *testing.T, upstream string) *proxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{l: l, base: time.Now()}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			id := p.conns
			p.conns++
			p.mu.Unlock()
			p.wg.Add(2)
			go p.pipe(id, "egress", c, s)
			go p.pipe(id, "ingress", s, c)
		}
	}()
	return p
}

func (p *proxy) now() uint64 { return uint64(time.Since(p.base)) }

func (p *proxy) pipe(id int, dir string, from, to net.Conn) {
	defer p.wg.Done()
	buf := make([]byte, 64<<10)
	for {
		n, err := from.Read(buf)
		if n > 0 {
			// Recorded under the lock before forwarding: the log's order is
			// causal across directions.
			p.mu.Lock()
			i := len(p.recs)
			c := min(n, captureLen)
			p.recs = append(p.recs, record{Conn: id, Dir: dir, Data: base64.StdEncoding.EncodeToString(buf[:c]), Skipped: n - c, Start: p.now()})
			p.mu.Unlock()
			_, werr := to.Write(buf[:n])
			p.mu.Lock()
			p.recs[i].End = p.now()
			p.mu.Unlock()
			if werr != nil {
				err = werr
			}
		}
		if err != nil {
			if tc, ok := to.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
			return
		}
	}
}

// stop waits for the client's connections to end and returns the log.
func (p *proxy) stop() []record {
	p.l.Close()
	p.wg.Wait()
	return p.recs
}

func (p *proxy) port() string { return strconv.Itoa(p.l.Addr().(*net.TCPAddr).Port) }

func run(t *testing.T, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(pgBin(name), args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// psqlScript exercises the simple protocol; errors are expected (psql goes
// on after them).
func psqlScript() string {
	big := strings.Repeat("y", 5000)
	return `CREATE TABLE t (id int PRIMARY KEY, name text);
INSERT INTO t VALUES (1, 'alice'), (2, 'bob');
SELECT * FROM t WHERE id = 1;
UPDATE t SET name = 'x' WHERE id IN (1, 2);
SELECT 1/0;
INSERT INTO t VALUES (1, 'dup');
SELECT 1 \; SELECT 'a;b' AS s \; UPDATE t SET name = $$do;llar$$ WHERE id = 2;
COPY t FROM STDIN;
3	carol
4	dave
\.
INSERT INTO t VALUES (5, '` + big + `');
SELECT name FROM t WHERE id = 5;
DELETE FROM t;
DROP TABLE t;
`
}

// TestRecord records the fixtures from a live server (with -update it
// rewrites testdata) and checks the live recordings like the replays.
func TestRecord(t *testing.T) {
	trust := startCluster(t, "trust", "")
	pgEnv := []string{"PGHOST=127.0.0.1", "PGUSER=postgres", "PGDATABASE=postgres", "PGSSLMODE=prefer", "PGGSSENCMODE=disable"}
	record := func(name string, c *cluster, env []string, f func(port string)) {
		p := startProxy(t, c.addr())
		f(p.port())
		recs := p.stop()
		if *update {
			writeFixture(t, name, recs)
		}
		t.Logf("%s: %d pieces", name, len(recs))
	}
	script := filepath.Join(t.TempDir(), "script.sql")
	if err := os.WriteFile(script, []byte(psqlScript()), 0o644); err != nil {
		t.Fatal(err)
	}
	record("psql", trust, pgEnv, func(port string) {
		run(t, append(pgEnv, "PGPORT="+port), "psql", "-X", "-q", "-f", script)
	})
	run(t, append(pgEnv, "PGPORT="+strconv.Itoa(trust.port)), "pgbench", "-i", "-q", "-s", "1")
	for _, mode := range []string{"simple", "extended", "prepared"} {
		record("pgbench_"+mode, trust, pgEnv, func(port string) {
			run(t, append(pgEnv, "PGPORT="+port), "pgbench", "-n", "-M", mode, "-t", "50", "-c", "1")
		})
	}
	scram := startCluster(t, "scram-sha-256", "s3cret")
	record("psql_scram", scram, pgEnv, func(port string) {
		run(t, append(pgEnv, "PGPORT="+port, "PGPASSWORD=s3cret"), "psql", "-X", "-q", "-c", "SELECT 42 AS answer")
	})
	if !*update {
		t.Log("fixtures not rewritten (go test -run TestRecord -update)")
	}
}
