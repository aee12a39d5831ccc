package topology

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigil-dev/vigil/internal/testserver"
)

//go:embed users.py
var usersPy []byte

// Options of a run.
type Options struct {
	Out         string // directory: truth files, logs, the agent's store (data/)
	Self        string // this program, to start the Go services
	Agent       string // the vigil-agent binary; "" runs without the agent
	Python      string // python3
	Requests    int
	Concurrency int
	Stdout      io.Writer
}

// Result sums up a run.
type Result struct {
	Requests, Failed int
	Failures         []string // why the first checkouts that failed did
	Elapsed          time.Duration
	Truth            string // the merged truth file
	DataDir          string // the agent's store
}

type proc struct {
	name string
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{} // closed when the process has exited
}

func (p *proc) stop(sig os.Signal, wait time.Duration) {
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(wait):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	p.log.Close()
}

// waitReady waits for the process to print its "ready" line (it listens);
// an exit first, as when another process took its port, is an error.
func (p *proc) waitReady(timeout time.Duration) error {
	deadline := time.After(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		b, _ := os.ReadFile(p.log.Name())
		if bytes.Contains(b, []byte("ready\n")) {
			return nil
		}
		select {
		case <-p.done:
			b, _ = os.ReadFile(p.log.Name()) // all it wrote before it exited
			return fmt.Errorf("%s exited: %s", p.name, bytes.TrimSpace(b[max(0, len(b)-500):]))
		case <-deadline:
			return fmt.Errorf("%s printed no ready line in %s", p.name, timeout)
		case <-tick.C:
		}
	}
}

// Run starts Redis, PostgreSQL and the four services, the agent tracing
// the services, drives Requests checkouts through the gateway from
// Concurrency clients, stops everything and merges the truth.
func Run(ctx context.Context, o Options) (Result, error) {
	res := Result{Truth: filepath.Join(o.Out, "truth.jsonl"), DataDir: filepath.Join(o.Out, "data")}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return res, err
	}
	_ = os.RemoveAll(res.DataDir)
	redis, err := testserver.Redis()
	if err != nil {
		return res, fmt.Errorf("starting redis: %w", err)
	}
	defer redis.Stop()
	pg, err := testserver.Postgres("max_connections=200")
	if err != nil {
		return res, fmt.Errorf("starting postgresql: %w", err)
	}
	defer pg.Stop()
	dsn := "postgres://postgres@" + pg.Addr() + "/postgres?sslmode=disable"
	if err := createSchema(ctx, dsn); err != nil {
		return res, err
	}
	ports := map[string]int{}
	url := func(s string) string { return "http://127.0.0.1:" + strconv.Itoa(ports[s]) }
	truth := func(s string) string { return filepath.Join(o.Out, "truth-"+s+".jsonl") }
	pyPath := filepath.Join(o.Out, "users.py")
	if err := os.WriteFile(pyPath, usersPy, 0o755); err != nil {
		return res, err
	}
	// In the order they need each other: the gateway, last, is given the
	// others' addresses.
	specs := []struct {
		name string
		argv func() []string
	}{
		{"users", func() []string {
			return []string{o.Python, pyPath, "--listen", "127.0.0.1:" + strconv.Itoa(ports["users"]), "--redis", redis.Addr(), "--truth", truth("users")}
		}},
		{"cart", func() []string { return serveArgs(o.Self, "cart", ports, truth, redis.Addr(), dsn, url) }},
		{"orders", func() []string { return serveArgs(o.Self, "orders", ports, truth, redis.Addr(), dsn, url) }},
		{"gateway", func() []string { return serveArgs(o.Self, "gateway", ports, truth, redis.Addr(), dsn, url) }},
	}
	var procs []*proc
	defer func() {
		for _, p := range procs {
			p.stop(syscall.SIGKILL, time.Second)
		}
	}()
	var pids []string
	for _, s := range specs {
		p, err := startService(o.Out, s.name, ports, s.argv)
		if err != nil {
			return res, err
		}
		procs = append(procs, p)
		pids = append(pids, "--pid", strconv.Itoa(p.cmd.Process.Pid))
	}
	var agent *proc
	if o.Agent != "" {
		lport, err := testserver.FreePort()
		if err != nil {
			return res, err
		}
		argv := append([]string{o.Agent, "--data-dir", res.DataDir, "--listen", "127.0.0.1:" + strconv.Itoa(lport), "--log-level", "warn"}, pids...)
		if agent, err = startProc(o.Out, "agent", argv); err != nil {
			return res, err
		}
		if err := waitHealthy(lport, 60*time.Second); err != nil {
			agent.stop(syscall.SIGKILL, time.Second)
			return res, fmt.Errorf("the agent did not become healthy (see %s): %w", filepath.Join(o.Out, "agent.log"), err)
		}
	}
	fmt.Fprintf(o.Stdout, "topology up: gateway %s, users (python) %s, cart %s, orders %s, redis %s, postgresql %s\n",
		url("gateway"), url("users"), url("cart"), url("orders"), redis.Addr(), pg.Addr())
	res.Requests = o.Requests
	start := time.Now()
	res.Failed, res.Failures = load(ctx, url("gateway"), o.Requests, o.Concurrency)
	res.Elapsed = time.Since(start)
	time.Sleep(time.Second) // the last responses' spans
	for _, p := range procs {
		p.stop(syscall.SIGTERM, 10*time.Second) // flushes the truth
	}
	procs = nil
	if agent != nil {
		time.Sleep(2 * time.Second) // a batch interval
		agent.stop(syscall.SIGINT, 30*time.Second)
	}
	return res, mergeTruth(res.Truth, truth, specs[0].name, specs[1].name, specs[2].name, specs[3].name)
}

func serveArgs(self, name string, ports map[string]int, truth func(string) string, redis, dsn string, url func(string) string) []string {
	return []string{self, "serve", "--service", name, "--listen", "127.0.0.1:" + strconv.Itoa(ports[name]), "--truth", truth(name),
		"--redis", redis, "--pg", dsn, "--users", url("users"), "--cart", url("cart"), "--orders", url("orders")}
}

// startService starts a service on a free port, and again on another when
// the port was taken between being found free and bound (other tests run
// beside this one): up to three tries.
func startService(dir, name string, ports map[string]int, argv func() []string) (*proc, error) {
	var err error
	for range 3 {
		if ports[name], err = testserver.FreePort(); err != nil {
			return nil, err
		}
		var p *proc
		if p, err = startProc(dir, name, argv()); err != nil {
			return nil, err
		}
		if err = p.waitReady(20 * time.Second); err == nil {
			return p, nil
		}
		p.stop(syscall.SIGKILL, time.Second)
	}
	return nil, fmt.Errorf("%s did not start (see %s.log): %w", name, filepath.Join(dir, name), err)
}

func startProc(dir, name string, argv []string) (*proc, error) {
	log, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: log, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	return p, nil
}

func waitHealthy(port int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("/healthz: %s", resp.Status)
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func createSchema(ctx context.Context, dsn string) error {
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connecting to postgresql: %w", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, Schema); err != nil {
		return fmt.Errorf("creating the schema: %w", err)
	}
	return nil
}

// load sends n checkouts from c clients, each for a random user and a
// fresh order id, and returns how many failed and why the first did.
func load(ctx context.Context, gateway string, n, c int) (int, []string) {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: c}}
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var why []string
	fail := func(reason string) {
		failed.Add(1)
		mu.Lock()
		defer mu.Unlock()
		if len(why) < 3 {
			why = append(why, reason)
		}
	}
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= int64(n) && ctx.Err() == nil; i = next.Add(1) {
				user := 1 + rand.IntN(999_999)
				order := fmt.Sprintf("ord-%d%08d", 1000+rand.IntN(9000), i)
				resp, err := client.Get(fmt.Sprintf("%s/checkout/%d?order=%s", gateway, user, order))
				if err != nil {
					fail(err.Error())
					continue
				}
				body, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					fail(fmt.Sprintf("%s: %q", resp.Status, body))
				}
			}
		}()
	}
	wg.Wait()
	return int(failed.Load()), why
}

func mergeTruth(out string, path func(string) string, names ...string) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range names {
		in, err := os.Open(path(n))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		_, err = io.Copy(f, in)
		in.Close()
		errs = append(errs, err)
	}
	errs = append(errs, f.Close())
	return errors.Join(errs...)
}
