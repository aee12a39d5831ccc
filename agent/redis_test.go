package agent

import (
	"bufio"
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

// startRedis runs redis-server on a free loopback port until the test ends.
func startRedis(t *testing.T) (port int, pid int) {
	s := testserver.ForTest(t, testserver.Redis)
	return s.Port, s.PID
}

func redisCLI(t *testing.T, port int, args ...string) string {
	t.Helper()
	out, err := exec.Command("redis-cli", append([]string{"-p", strconv.Itoa(port)}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli %v: %v %s", args, err, out)
	}
	return string(out)
}

// commandCalls reads INFO commandstats: what the server itself counted.
func commandCalls(t *testing.T, port int) map[string]int {
	calls := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(redisCLI(t, port, "INFO", "commandstats")))
	for sc.Scan() {
		// cmdstat_set:calls=2001,usec=...
		name, rest, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "cmdstat_"), ":calls=")
		if !ok {
			continue
		}
		n, _ := strconv.Atoi(strings.SplitN(rest, ",", 2)[0])
		calls[strings.ToUpper(strings.ReplaceAll(name, "|", " "))] = n
	}
	return calls
}

// TestRedisSpans traces a real redis-server driven by redis-cli and
// redis-benchmark -P 16: every command the server counted is one server
// span with its command, key and error.
func TestRedisSpans(t *testing.T) {
	port, serverPID := startRedis(t)
	if _, err := exec.LookPath("redis-benchmark"); err != nil {
		t.Skip("redis-benchmark is not installed (apt-get install redis-tools)")
	}
	a := startAgent(t, func(c *config.Agent) { c.Ports = []int{port} })
	time.Sleep(200 * time.Millisecond) // the agent attaches before the traffic
	redisCLI(t, port, "SET", "user:1", "alice")
	redisCLI(t, port, "GET", "user:1")
	if out := redisCLI(t, port, "LPUSH", "user:1", "x"); !strings.Contains(out, "WRONGTYPE") {
		t.Fatalf("LPUSH on a string: %s", out)
	}
	if out, err := exec.Command("redis-benchmark", "-p", strconv.Itoa(port), "-P", "16", "-n", "2000", "-c", "2", "-t", "set,get", "-q").CombinedOutput(); err != nil {
		t.Fatalf("redis-benchmark: %v %s", err, out)
	}
	want := commandCalls(t, port)
	delete(want, "INFO")
	total := 0
	for _, n := range want {
		total += n
	}
	isServer := func(s *span.Span) bool {
		return s.DB != nil && s.Span.Kind == span.KindServer && s.Process.PID == serverPID && s.Span.Name != "INFO"
	}
	got := a.waitSpans(t, total, isServer)
	all := a.stop(t)
	counts := map[string]int{}
	var lpush *span.Span
	for i := range got {
		s := &got[i]
		counts[s.Span.Name]++
		if s.Span.Name == "LPUSH" {
			lpush = s
		}
		if s.Span.Subtype != "redis" || s.Vigil.Incomplete {
			t.Errorf("span %s: subtype %s, incomplete %v (%s)", s.Span.Name, s.Span.Subtype, s.Vigil.Incomplete, s.Vigil.Reason)
		}
	}
	for cmd, n := range want {
		if counts[cmd] != n {
			t.Errorf("%s: %d server spans, the server counted %d calls", cmd, counts[cmd], n)
		}
	}
	if lpush == nil || lpush.DB.ErrorCode != "WRONGTYPE" || lpush.DB.Statement != "LPUSH user:1" || lpush.Event.Outcome != span.OutcomeFailure {
		t.Errorf("LPUSH span: %+v", lpush)
	}
	clients := 0
	for _, s := range all {
		if s.DB != nil && s.Span.Kind == span.KindClient && s.Span.Name == "SET" && s.DB.Statement == "SET user:1" {
			clients++
		}
	}
	if clients != 1 {
		t.Errorf("%d client spans SET user:1 from redis-cli, want 1", clients)
	}
}

// TestRedisOverTLS: redis-cli --tls against a redis-server serving TLS
// only, OpenSSL on both ends: each command is one client span (redis-cli)
// and one server span (redis-server) from the plaintext, an error reply
// included.
func TestRedisOverTLS(t *testing.T) {
	needBPF(t)
	certFile, keyFile, err := traffic.WriteSelfSigned(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := testserver.ForTest(t, func() (*testserver.Server, error) { return testserver.RedisTLS(certFile, keyFile) })
	a := startAgent(t, func(c *config.Agent) { c.Ports = []int{srv.Port} })
	tlsCLI := func(args ...string) (string, int) {
		cmd := exec.Command("redis-cli", append([]string{"--tls", "--insecure", "-p", strconv.Itoa(srv.Port)}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli --tls %v: %v %s", args, err, out)
		}
		return string(out), cmd.Process.Pid
	}
	if out, _ := tlsCLI("SET", "user:1", "alice"); strings.TrimSpace(out) != "OK" {
		t.Fatalf("SET over TLS: %q", out)
	}
	out, lpushPID := tlsCLI("LPUSH", "user:1", "x")
	if !strings.Contains(out, "WRONGTYPE") {
		t.Fatalf("LPUSH on a string: %q", out)
	}
	for _, want := range []struct {
		stmt, code string
		pid        int
	}{{"SET user:1", "", 0}, {"LPUSH user:1", "WRONGTYPE", lpushPID}} {
		got := a.waitSpans(t, 2, func(s *span.Span) bool { return s.DB != nil && s.DB.Statement == want.stmt })
		for _, s := range got {
			if s.DB.ErrorCode != want.code || s.Span.Subtype != "redis" || s.Vigil.Incomplete {
				t.Errorf("%s span %q: error %q, subtype %s, incomplete %v (%s); want error %q", s.Span.Kind, want.stmt, s.DB.ErrorCode, s.Span.Subtype, s.Vigil.Incomplete, s.Vigil.Reason, want.code)
			}
			if s.Span.Kind == span.KindServer && s.Process.PID != srv.PID || want.pid != 0 && s.Span.Kind == span.KindClient && s.Process.PID != want.pid {
				t.Errorf("%s span %q from pid %d", s.Span.Kind, want.stmt, s.Process.PID)
			}
		}
		oneSpanPerEnd(t, want.stmt, got)
	}
	a.stop(t)
}
