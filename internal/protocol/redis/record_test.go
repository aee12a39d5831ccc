package redis

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var recordFlag = flag.Bool("record", false, "rewrite testdata fixtures from a live redis-server")

// captureLimit is how much of each syscall the agent captures by default.
const captureLimit = 1024

// proxy sits between a client and redis-server and records, per accepted
// connection, each read from either side as one syscall of the client.
type proxy struct {
	limit  int // bytes captured per syscall; 0: all
	ln     net.Listener
	target string
	t0     time.Time
	mu     sync.Mutex
	conns  [][]record
	wg     sync.WaitGroup
}

func startProxy(t *testing.T, target string, limit int) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, t0: time.Now(), limit: limit}
	go p.accept()
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		idx := len(p.conns)
		p.conns = append(p.conns, nil)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(idx, "egress", c, s)
		go p.pipe(idx, "ingress", s, c)
	}
}

// pipe copies src to dst, recording each read before forwarding it so that
// a reply is always recorded after its command.
func (p *proxy) pipe(idx int, dir string, src, dst net.Conn) {
	defer p.wg.Done()
	defer dst.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			ts := uint64(time.Since(p.t0))
			c := n
			if p.limit > 0 {
				c = min(n, p.limit)
			}
			data := append([]byte(nil), buf[:c]...)
			p.conns[idx] = append(p.conns[idx], record{Dir: dir, Data: data, Skipped: n - len(data), Start: ts, End: ts + 1})
			p.mu.Unlock()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// stop waits for the recorded connections to end and returns them.
func (p *proxy) stop() [][]record {
	p.ln.Close()
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conns
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
}

// startRedis runs a throw-away redis-server; it is killed at cleanup.
func startRedis(t *testing.T) string {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed: recording skipped (the replay tests use testdata)")
	}
	for _, tool := range []string{"redis-cli", "redis-benchmark"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: recording skipped", tool)
		}
	}
	port := freePort(t)
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--dir", t.TempDir())
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := "127.0.0.1:" + port
	for i := 0; ; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
		if i > 100 {
			t.Fatal("redis-server did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cli runs redis-cli with args against addr and stdin.
func cli(t *testing.T, addr, stdin string, args ...string) string {
	host, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command("redis-cli", append([]string{"-h", host, "-p", port}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// subscribeAndPublish keeps a subscriber (through the proxy) until it got
// two messages published from a direct connection, then kills it.
func subscribeAndPublish(t *testing.T, server, via string, resp3 bool) {
	host, port, _ := net.SplitHostPort(via)
	args := []string{"-h", host, "-p", port}
	if resp3 {
		args = append(args, "-3")
	}
	sub := exec.Command("redis-cli", append(args, "SUBSCRIBE", "news", "alerts")...)
	var out strings.Builder
	var mu sync.Mutex
	sub.Stdout = writerFunc(func(b []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(b) })
	if err := sub.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Process.Kill(); _ = sub.Wait() }()
	waitFor(t, func() bool { return strings.Contains(cli(t, server, "", "PUBSUB", "NUMSUB", "alerts"), "1") })
	cli(t, server, "", "PUBLISH", "news", "hello")
	cli(t, server, "", "PUBLISH", "alerts", strings.Repeat("!", 3000))
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return strings.Count(out.String(), "!!!") > 0 })
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

func waitFor(t *testing.T, cond func() bool) {
	for i := 0; !cond(); i++ {
		if i > 100 {
			t.Fatal("timed out")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// basicCommands is fed to redis-cli's stdin: it sends them one at a time.
var basicCommands = strings.Join([]string{
	"SET user:1 alice", "GET user:1", "HSET h:1 name bob age 42", "HGETALL h:1",
	"LPUSH list:1 a b c", "LRANGE list:1 0 -1", "MULTI", "SET counter 10", "INCR counter", "EXEC",
	"LPUSH user:1 x", `EVAL "return redis.call('GET', KEYS[1])" 1 user:1`,
	"SET big:1 " + strings.Repeat("x", 100000), "GET big:1", "STRLEN big:1",
	"DEL user:1 h:1 list:1 counter big:1",
}, "\n") + "\n"

var resp3Commands = strings.Join([]string{
	"SET k v", "HSET h a 1", "HGETALL h", "SADD s m", "SMEMBERS s", "INCRBYFLOAT f 1.5",
	"GET nokey", "HINCRBY h a x", "DEL k h s f",
}, "\n") + "\n"

// scenarios run against a proxy address; server is the direct address.
var scenarios = []struct {
	name  string
	limit int
	run   func(t *testing.T, server, via string)
}{
	{"basic", captureLimit, func(t *testing.T, server, via string) { cli(t, via, basicCommands) }},
	{"basic-full", 0, func(t *testing.T, server, via string) { cli(t, via, basicCommands) }},
	{"resp3", captureLimit, func(t *testing.T, server, via string) { cli(t, via, resp3Commands, "-3") }},
	{"pubsub", captureLimit, func(t *testing.T, server, via string) { subscribeAndPublish(t, server, via, false) }},
	{"pubsub3", captureLimit, func(t *testing.T, server, via string) { subscribeAndPublish(t, server, via, true) }},
	{"bench", captureLimit, func(t *testing.T, server, via string) {
		host, port, _ := net.SplitHostPort(via)
		out, err := exec.Command("redis-benchmark", "-h", host, "-p", port, "-P", "16", "-n", "2000", "-c", "1", "-t", "set,get", "-q").CombinedOutput()
		if err != nil {
			t.Fatalf("redis-benchmark: %v\n%s", err, out)
		}
	}},
}

// TestRecord records every scenario against a live server, checks the
// recordings like the replay tests do and, with -record, saves them.
func TestRecord(t *testing.T) {
	server := startRedis(t)
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			px := startProxy(t, server, sc.limit)
			sc.run(t, server, px.addr())
			conns := px.stop()
			checkScenario(t, sc.name, conns)
			if !*recordFlag {
				return
			}
			old, _ := filepath.Glob(filepath.Join("testdata", sc.name+"-[0-9]*.jsonl*"))
			for _, f := range old {
				os.Remove(f)
			}
			for i, recs := range conns {
				if err := writeFixture(filepath.Join("testdata", fmt.Sprintf("%s-%d.jsonl", sc.name, i)), recs); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
