package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/activities"
	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/correlate/pipeline"
	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/store/sqlite"
	"github.com/vigil-dev/vigil/internal/store/storetest"
)

// cliResult is what one in-process execution of the root command produced.
type cliResult struct {
	stdout, stderr string
	err            error
	code           int // the exit code main would use
}

// output is stdout and stderr together, for "never appears anywhere" checks.
func (r cliResult) output() string { return r.stdout + r.stderr }

// runCLI executes the root command with args, the way main does, and
// returns what it printed and the exit code main would exit with.
func runCLI(t *testing.T, args ...string) cliResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	root := newRootCmd(&stdout, &stderr)
	root.SetArgs(args)
	err := root.Execute()
	return cliResult{stdout: stdout.String(), stderr: stderr.String(), err: err, code: exitCodeFor(err)}
}

// exitCodeFor mirrors main: an exitError carries its code, any other error
// exits 2.
func exitCodeFor(err error) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 2
}

// errText is the error's message, or "" (it never calls Error on nil).
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// isolateEnv unsets every VIGIL_* variable of the environment running the
// tests for the duration of t, so the user's configuration cannot leak in.
func isolateEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "VIGIL_") {
			t.Setenv(k, "") // restores the value after the test
			if err := os.Unsetenv(k); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestMonitorValidate(t *testing.T) {
	isolateEnv(t)

	// One directory with a valid file and three invalid ones; the line of
	// each error is the line of the offending text in its file.
	bad := t.TempDir()
	writeFile(t, bad, "good.yaml", `id: good
type: tcp
schedule: {every: 1m}
tcp: {host: 127.0.0.1, port: 80}
assert: [connected]
`)
	writeFile(t, bad, "unknown-field.yaml", `id: unknown-field
type: http
schedule: {every: 30s}
steps:
  - name: home
    request:
      url: http://127.0.0.1:1/
      methd: GET
    assert: [status == 200]
`)
	writeFile(t, bad, "bad-expr.yaml", `id: bad-expr
type: http
schedule: {every: 30s}
steps:
  - name: home
    request:
      url: http://127.0.0.1:1/
    assert:
      - status == 200
      - status ==
`)
	writeFile(t, bad, "malformed.yaml", `id: malformed
type: http
schedule: {every: 30s}
steps:
  - name: [unterminated
`)

	missing := filepath.Join(t.TempDir(), "no-such-dir")

	tests := []struct {
		name     string
		args     []string
		wantCode int
		// wantStdout are regular expressions stdout must match, in order of
		// the errors the loader sorts by file.
		wantStdout []string
		wantStderr []string
	}{
		{
			name:       "examples are valid",
			args:       []string{"monitor", "validate", "../../examples/monitors"},
			wantCode:   0,
			wantStdout: []string{`(?m)^7 monitor\(s\) valid$`},
		},
		{
			name:       "one valid file",
			args:       []string{"monitor", "validate", "../../examples/monitors/demo-home.yaml"},
			wantCode:   0,
			wantStdout: []string{`(?m)^1 monitor\(s\) valid$`},
		},
		{
			name:     "invalid files are reported with file:line:col",
			args:     []string{"monitor", "validate", bad},
			wantCode: 1,
			wantStdout: []string{
				`(?m)^` + regexp.QuoteMeta(filepath.Join(bad, "unknown-field.yaml")) + `:8:7: unknown field "methd" in steps\[0\]\.request \(did you mean "method"\?\)`,
				`(?m)^` + regexp.QuoteMeta(filepath.Join(bad, "bad-expr.yaml")) + `:10:9: steps\[0\]\.assert\[1\]: invalid assertion "status =="`,
				`(?m)^` + regexp.QuoteMeta(filepath.Join(bad, "malformed.yaml")) + `:5:\d+: invalid YAML`,
			},
			wantStderr: []string{`(?m)^1 monitor\(s\) valid, 3 error\(s\)$`},
		},
		{
			name:       "missing path",
			args:       []string{"monitor", "validate", missing},
			wantCode:   1,
			wantStdout: []string{regexp.QuoteMeta(missing) + `.*no such file or directory`},
		},
		{
			name:     "no arguments",
			args:     []string{"monitor", "validate"},
			wantCode: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.args...)
			if r.code != tt.wantCode {
				t.Fatalf("exit code %d, want %d (err %v)\nstdout:\n%s\nstderr:\n%s", r.code, tt.wantCode, r.err, r.stdout, r.stderr)
			}
			if tt.wantCode == 1 {
				var ee *exitError
				if !errors.As(r.err, &ee) {
					t.Errorf("error %T %v is not an *exitError", r.err, r.err)
				}
			}
			for _, re := range tt.wantStdout {
				if !regexp.MustCompile(re).MatchString(r.stdout) {
					t.Errorf("stdout does not match %s:\n%s", re, r.stdout)
				}
			}
			for _, re := range tt.wantStderr {
				if !regexp.MustCompile(re).MatchString(r.stderr) {
					t.Errorf("stderr does not match %s:\n%s", re, r.stderr)
				}
			}
		})
	}

	// Every file of the invalid directory but good.yaml has an error, and
	// every error line has the file:line:col: message shape.
	t.Run("every error line is located", func(t *testing.T) {
		r := runCLI(t, "monitor", "validate", bad)
		located := regexp.MustCompile(`^(.+\.yaml):(\d+):(\d+): \S`)
		files := map[string]bool{}
		for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
			m := located.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("error line %q is not file:line:col: message", line)
				continue
			}
			if m[2] == "0" {
				t.Errorf("error line %q has no line number", line)
			}
			files[filepath.Base(m[1])] = true
		}
		for _, f := range []string{"unknown-field.yaml", "bad-expr.yaml", "malformed.yaml"} {
			if !files[f] {
				t.Errorf("no error reported for %s:\n%s", f, r.stdout)
			}
		}
		if files["good.yaml"] {
			t.Errorf("error reported for good.yaml:\n%s", r.stdout)
		}
	})
}

// echoServer answers every request with 200 and a JSON body that echoes the
// Authorization header (so secrets come back in responses), and 500 on /fail.
func echoServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			http.Error(w, "broken", http.StatusInternalServerError)
			return
		}
		auth := r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Echo", auth)
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "ok", "auth": auth})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func httpMonitor(id, url, headers string, asserts ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "id: %s\ntype: http\nschedule: {every: 30s}\ntimeout: 5s\nsteps:\n  - name: call\n    request:\n      url: %s\n", id, url)
	if headers != "" {
		fmt.Fprintf(&b, "      headers:\n        %s\n", headers)
	}
	b.WriteString("    assert:\n")
	for _, a := range asserts {
		fmt.Fprintf(&b, "      - %s\n", a)
	}
	return b.String()
}

func TestMonitorRun(t *testing.T) {
	isolateEnv(t)
	srv := echoServer(t)
	dir := t.TempDir()

	up := writeFile(t, dir, "up.yaml", httpMonitor("svc-up", srv.URL+"/", "", "status == 200", `json.status == "ok"`))
	down := writeFile(t, dir, "down.yaml", httpMonitor("svc-down", srv.URL+"/fail", "", "status == 200"))
	invalid := writeFile(t, dir, "invalid.yaml", "id: svc-invalid\ntype: http\nschedule: {every: 30s}\nsteps: []\nbogus: 1\n")
	noSecret := writeFile(t, dir, "nosecret.yaml", httpMonitor("svc-nosecret", srv.URL+"/",
		`Authorization: "Bearer ${secrets.VIGIL_TEST_UNSET_TOKEN}"`, "status == 200"))

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout []string
		wantStderr []string
	}{
		{
			name:       "up",
			args:       []string{"monitor", "run", up},
			wantCode:   0,
			wantStdout: []string{`(?m)^UP svc-up \(http\) in `, `(?m)^\s+1\. UP\s+call\s+GET 200`, `ok\s+status == 200`},
		},
		{
			name:       "assertion fails",
			args:       []string{"monitor", "run", down},
			wantCode:   1,
			wantStdout: []string{`(?m)^DOWN svc-down \(http\)`, `(?m)^\s+FAIL status == 200`, `GET 500`},
		},
		{
			name:       "invalid definition",
			args:       []string{"monitor", "run", invalid},
			wantCode:   2,
			wantStderr: []string{`(?m)^` + regexp.QuoteMeta(invalid) + `:5:1: unknown field "bogus"`},
		},
		{
			name:       "missing file",
			args:       []string{"monitor", "run", filepath.Join(dir, "nope.yaml")},
			wantCode:   2,
			wantStderr: []string{`nope\.yaml.*no such file`},
		},
		{
			name:       "secret not set is a config error",
			args:       []string{"monitor", "run", noSecret},
			wantCode:   2,
			wantStdout: []string{`(?m)^DOWN svc-nosecret`, `error \(config\): header Authorization: secret "VIGIL_TEST_UNSET_TOKEN" is not set`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.args...)
			if r.code != tt.wantCode {
				t.Fatalf("exit code %d, want %d (err %v)\nstdout:\n%s\nstderr:\n%s", r.code, tt.wantCode, r.err, r.stdout, r.stderr)
			}
			if tt.wantCode != 0 {
				var ee *exitError
				if !errors.As(r.err, &ee) {
					t.Fatalf("error %T %v is not an *exitError", r.err, r.err)
				}
				_ = errText(r.err) // Error must not panic, whatever the code
			}
			for _, re := range tt.wantStdout {
				if !regexp.MustCompile(re).MatchString(r.stdout) {
					t.Errorf("stdout does not match %s:\n%s", re, r.stdout)
				}
			}
			for _, re := range tt.wantStderr {
				if !regexp.MustCompile(re).MatchString(r.stderr) {
					t.Errorf("stderr does not match %s:\n%s", re, r.stderr)
				}
			}
		})
	}

	t.Run("json", func(t *testing.T) {
		for _, tc := range []struct {
			file       string
			code       int
			id, status string
		}{
			{up, 0, "svc-up", result.StatusUp},
			{down, 1, "svc-down", result.StatusDown},
			{noSecret, 2, "svc-nosecret", result.StatusDown},
		} {
			r := runCLI(t, "monitor", "run", "--json", tc.file)
			if r.code != tc.code {
				t.Errorf("%s: exit code %d, want %d (err %v)\n%s", tc.id, r.code, tc.code, r.err, r.output())
				continue
			}
			var docs []map[string]any
			if err := json.Unmarshal([]byte(r.stdout), &docs); err != nil {
				t.Errorf("%s: stdout is not a JSON array: %v\n%s", tc.id, err, r.stdout)
				continue
			}
			if len(docs) != 1 {
				t.Errorf("%s: %d documents, want 1", tc.id, len(docs))
				continue
			}
			mon, _ := docs[0]["monitor"].(map[string]any)
			if mon["id"] != tc.id || mon["status"] != tc.status {
				t.Errorf("%s: monitor = %v, want id %s status %s", tc.id, mon, tc.id, tc.status)
			}
			// The typed document decodes too.
			var typed []result.Result
			if err := json.Unmarshal([]byte(r.stdout), &typed); err != nil || len(typed) != 1 || typed[0].Monitor.ID != tc.id {
				t.Errorf("%s: typed decode: %v %+v", tc.id, err, typed)
			}
		}
	})

	t.Run("several monitors in one file", func(t *testing.T) {
		multi := writeFile(t, t.TempDir(), "multi.yaml",
			httpMonitor("multi-up", srv.URL+"/", "", "status == 200")+"---\n"+httpMonitor("multi-down", srv.URL+"/fail", "", "status == 200"))
		r := runCLI(t, "monitor", "run", "--json", multi)
		if r.code != 1 {
			t.Fatalf("exit code %d, want 1 (worst of up and down)\n%s", r.code, r.output())
		}
		var docs []result.Result
		if err := json.Unmarshal([]byte(r.stdout), &docs); err != nil || len(docs) != 2 {
			t.Fatalf("want 2 documents: %v\n%s", err, r.stdout)
		}
	})
}

// TestMonitorRunMasksSecrets: a secret from the environment, sent in a header
// and echoed by the target in its headers and body, never reaches stdout or
// stderr; the mask does.
func TestMonitorRunMasksSecrets(t *testing.T) {
	isolateEnv(t)
	const secret = "s3cr3t-T0ken-4f9b2c"
	t.Setenv("VIGIL_SECRET_TOKEN", secret)
	srv := echoServer(t)
	dir := t.TempDir()
	header := `Authorization: "Bearer ${secrets.TOKEN}"`
	passing := writeFile(t, dir, "pass.yaml", httpMonitor("secret-pass", srv.URL+"/", header,
		"status == 200", `json.auth startsWith "Bearer "`))
	// The failing assertion's message quotes the echoed value.
	failing := writeFile(t, dir, "fail.yaml", httpMonitor("secret-fail", srv.URL+"/", header,
		`json.auth == "nope"`, `body == "nope"`))

	// One secret set, one not: a config error that names the missing one.
	mixed := writeFile(t, dir, "mixed.yaml", `id: secret-mixed
type: http
schedule: {every: 30s}
steps:
  - name: call
    request:
      url: `+srv.URL+`/?t=${secrets.TOKEN}
      headers:
        X-Other: "${secrets.VIGIL_TEST_UNSET_OTHER}"
    assert: [status == 200]
`)

	tests := []struct {
		name     string
		args     []string
		wantCode int
	}{
		{"human up", []string{"monitor", "run", passing}, 0},
		{"json up", []string{"monitor", "run", "--json", passing}, 0},
		{"human down", []string{"monitor", "run", failing}, 1},
		{"json down", []string{"monitor", "run", "--json", failing}, 1},
		{"human missing other secret", []string{"monitor", "run", mixed}, 2},
		{"json missing other secret", []string{"monitor", "run", "--json", mixed}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.args...)
			if r.code != tt.wantCode {
				t.Fatalf("exit code %d, want %d (err %v)", r.code, tt.wantCode, r.err)
			}
			if strings.Contains(r.output(), secret) || strings.Contains(errText(r.err), secret) {
				t.Fatalf("the secret value leaked:\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			}
			if strings.Contains(tt.name, "missing") {
				if !strings.Contains(r.stdout, "VIGIL_TEST_UNSET_OTHER") {
					t.Errorf("the missing secret is not named:\n%s", r.stdout)
				}
				return
			}
			if strings.Contains(tt.name, "json") {
				if !strings.Contains(r.stdout, "Bearer ***") {
					t.Errorf("the echoed secret is not masked as ***:\n%s", r.stdout)
				}
				var docs []result.Result
				if err := json.Unmarshal([]byte(r.stdout), &docs); err != nil || len(docs) != 1 {
					t.Fatalf("want one JSON document: %v\n%s", err, r.stdout)
				}
				st := docs[0].Steps[0]
				if st.HTTP == nil || !strings.Contains(st.HTTP.Response.Body.Content, "***") {
					t.Errorf("response body not masked: %+v", st.HTTP)
				}
			}
			if tt.name == "human down" && !strings.Contains(r.stdout, "***") {
				t.Errorf("the failure message does not show the mask:\n%s", r.stdout)
			}
		})
	}
}

func TestMonitorSchema(t *testing.T) {
	isolateEnv(t)
	r := runCLI(t, "monitor", "schema")
	if r.code != 0 {
		t.Fatalf("exit code %d: %v\n%s", r.code, r.err, r.stderr)
	}
	var schema map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &schema); err != nil {
		t.Fatalf("schema is not JSON: %v\n%s", err, r.stdout)
	}
	if !strings.Contains(r.stdout, `"steps"`) {
		t.Errorf("schema does not mention steps")
	}
	if r := runCLI(t, "monitor", "schema", "extra"); r.code != 2 {
		t.Errorf("schema with an argument: exit code %d, want 2", r.code)
	}
}

// seedStore creates vigil.db in a new data directory with three results of
// two monitors and a catalog, and returns the directory.
func seedStore(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "vigil.db"), sqlite.Options{Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	base := storetest.Base
	older := storetest.NewResult("run-a1", "shop-home", base)
	newer := storetest.NewResult("run-a2", "shop-home", base.Add(time.Minute))
	newer.Monitor.Status = result.StatusUp
	newer.Error = nil
	other := storetest.NewResult("run-b1", "shop-api", base.Add(30*time.Second))
	if err := st.WriteResults(ctx, []result.Result{older, newer, other}); err != nil {
		t.Fatal(err)
	}

	cat := store.Catalog{
		Source:   "https://git.example/monitors.git",
		Branch:   "main",
		Commit:   "c0ffee1234567890c0ffee1234567890c0ffee12",
		SyncedAt: base.Add(2 * time.Minute),
		Monitors: []store.CatalogMonitor{
			{Commit: "c0ffee1", Monitor: monitor.Monitor{
				ID: "shop-home", Type: monitor.TypeHTTP, Schedule: monitor.Schedule{Every: monitor.Duration(30 * time.Second)},
				Source: monitor.Source{File: "monitors/shop-home.yaml", Line: 1},
			}},
			{Commit: "c0ffee1", Monitor: monitor.Monitor{
				ID: "shop-api", Type: monitor.TypeHTTP, Schedule: monitor.Schedule{Cron: "*/5 * * * *"}, Paused: true,
				Source: monitor.Source{File: "monitors/api.yaml", Line: 7},
			}},
			{Commit: "0ld0ld1", Stale: true, Monitor: monitor.Monitor{
				ID: "shop-tcp", Type: monitor.TypeTCP, Schedule: monitor.Schedule{Every: monitor.Duration(time.Minute)},
				Source: monitor.Source{File: "monitors/tcp.yaml", Line: 1},
			}},
		},
		Errors: []monitor.ValidationError{{File: "monitors/tcp.yaml", Line: 4, Column: 3, MonitorID: "shop-tcp", Message: "tcp.port must be between 1 and 65535"}},
	}
	if err := st.PutCatalog(ctx, cat); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestStoreCommands(t *testing.T) {
	isolateEnv(t)
	dataDir := seedStore(t)
	emptyDir := t.TempDir()
	// A store without a catalog: no sync has run yet.
	noSync := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(noSync, "vigil.db"), sqlite.Options{Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	_ = st.Close()

	tests := []struct {
		name        string
		args        []string
		wantCode    int
		wantStdout  []string // regular expressions
		notStdout   []string // plain substrings
		wantErr     string   // substring of the returned error
		wantErrIs   error
		wantStderr  string
		checkStdout func(t *testing.T, stdout string)
	}{
		{
			name:       "runs list of one monitor",
			args:       []string{"runs", "list", "--data-dir", dataDir, "--monitor", "shop-home"},
			wantStdout: []string{`(?m)^WHEN\s+MONITOR\s+LOCATION\s+STATUS`, `shop-home\s+local\s+up\s+2\s+200\.123ms\s+run-a2`, `shop-home\s+local\s+down\s+2\s+200\.123ms\s+status == 200: got 500\s+run-a1`, `(?s)run-a2.*run-a1`},
			notStdout:  []string{"shop-api", "run-b1"},
		},
		{
			name:       "runs list all, limited",
			args:       []string{"runs", "list", "--data-dir", dataDir, "--limit", "2"},
			wantStdout: []string{`(?s)run-a2.*run-b1`},
			notStdout:  []string{"run-a1"},
		},
		{
			name:       "runs list by status",
			args:       []string{"runs", "list", "--data-dir", dataDir, "--status", "down"},
			wantStdout: []string{`run-a1`, `run-b1`},
			notStdout:  []string{"run-a2"},
		},
		{
			name: "runs list json",
			args: []string{"runs", "list", "--data-dir", dataDir, "--monitor", "shop-api", "--json"},
			checkStdout: func(t *testing.T, stdout string) {
				var rs []result.Result
				if err := json.Unmarshal([]byte(stdout), &rs); err != nil {
					t.Fatalf("not JSON: %v\n%s", err, stdout)
				}
				if len(rs) != 1 || rs[0].ID != "run-b1" || rs[0].Monitor.ID != "shop-api" {
					t.Errorf("got %+v", rs)
				}
			},
		},
		{
			name: "runs get",
			args: []string{"runs", "get", "--data-dir", dataDir, "run-a1"},
			checkStdout: func(t *testing.T, stdout string) {
				var r result.Result
				if err := json.Unmarshal([]byte(stdout), &r); err != nil {
					t.Fatalf("not JSON: %v\n%s", err, stdout)
				}
				want := storetest.NewResult("run-a1", "shop-home", storetest.Base)
				if r.ID != want.ID || r.Monitor.ID != want.Monitor.ID || r.Monitor.Status != result.StatusDown ||
					!r.Timestamp.Equal(want.Timestamp) || len(r.Steps) != len(want.Steps) || r.Vigil.Commit != want.Vigil.Commit {
					t.Errorf("got %+v, want %+v", r, want)
				}
			},
		},
		{
			name:      "runs get unknown id",
			args:      []string{"runs", "get", "--data-dir", dataDir, "run-zz"},
			wantCode:  2,
			wantErr:   "run-zz",
			wantErrIs: store.ErrNotFound,
		},
		{
			name: "monitor list",
			args: []string{"monitor", "list", "--data-dir", dataDir},
			wantStdout: []string{
				`(?m)^ID\s+TYPE\s+SCHEDULE\s+LAST\s+WHEN\s+FILE$`,
				`(?m)^shop-api\s+http\s+cron \*/5 \* \* \* \*\s+down \(paused\)\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+monitors/api\.yaml:7$`,
				`(?m)^shop-home\s+http\s+every 30s\s+up\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+monitors/shop-home\.yaml:1$`,
				`(?m)^shop-tcp\s+tcp\s+every 1m0s\s+- \(stale: file invalid\)\s+-\s+monitors/tcp\.yaml:1$`,
				`(?s)shop-api.*shop-home.*shop-tcp`,
				`(?m)^commit c0ffee1234567890c0ffee1234567890c0ffee12, synced `,
				`(?m)^invalid: monitors/tcp\.yaml:4:3: tcp\.port must be between`,
			},
		},
		{
			name: "monitor list json",
			args: []string{"monitor", "list", "--data-dir", dataDir, "--json"},
			checkStdout: func(t *testing.T, stdout string) {
				var doc struct {
					Catalog store.Catalog            `json:"catalog"`
					Latest  map[string]result.Result `json:"latest"`
				}
				if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
					t.Fatalf("not JSON: %v\n%s", err, stdout)
				}
				if len(doc.Catalog.Monitors) != 3 || doc.Latest["shop-home"].ID != "run-a2" || doc.Latest["shop-api"].ID != "run-b1" {
					t.Errorf("got %+v", doc)
				}
			},
		},
		{
			name:       "monitor list before any sync",
			args:       []string{"monitor", "list", "--data-dir", noSync},
			wantStderr: "no sync has run yet",
		},
		{
			name:     "monitor list without a store",
			args:     []string{"monitor", "list", "--data-dir", emptyDir},
			wantCode: 2,
			wantErr:  "no store in " + emptyDir,
		},
		{
			name:     "runs list without a store",
			args:     []string{"runs", "list", "--data-dir", emptyDir},
			wantCode: 2,
			wantErr:  "no store in " + emptyDir,
		},
		{
			name:     "runs get without a store",
			args:     []string{"runs", "get", "--data-dir", emptyDir, "run-a1"},
			wantCode: 2,
			wantErr:  "no store in " + emptyDir,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.args...)
			if r.code != tt.wantCode {
				t.Fatalf("exit code %d, want %d (err %v)\nstdout:\n%s\nstderr:\n%s", r.code, tt.wantCode, r.err, r.stdout, r.stderr)
			}
			if tt.wantErr != "" && !strings.Contains(errText(r.err), tt.wantErr) {
				t.Errorf("error %q does not contain %q", errText(r.err), tt.wantErr)
			}
			if tt.wantErrIs != nil && !errors.Is(r.err, tt.wantErrIs) {
				t.Errorf("error %v is not %v", r.err, tt.wantErrIs)
			}
			if tt.wantStderr != "" && !strings.Contains(r.stderr, tt.wantStderr) {
				t.Errorf("stderr does not contain %q:\n%s", tt.wantStderr, r.stderr)
			}
			for _, re := range tt.wantStdout {
				if !regexp.MustCompile(re).MatchString(r.stdout) {
					t.Errorf("stdout does not match %s:\n%s", re, r.stdout)
				}
			}
			for _, s := range tt.notStdout {
				if strings.Contains(r.stdout, s) {
					t.Errorf("stdout contains %q:\n%s", s, r.stdout)
				}
			}
			if tt.checkStdout != nil {
				tt.checkStdout(t, r.stdout)
			}
		})
	}

	t.Run("data dir from the environment", func(t *testing.T) {
		t.Setenv("VIGIL_DATA_DIR", dataDir)
		r := runCLI(t, "runs", "list", "--monitor", "shop-api")
		if r.code != 0 || !strings.Contains(r.stdout, "run-b1") {
			t.Errorf("exit code %d (err %v), stdout:\n%s", r.code, r.err, r.stdout)
		}
		// A flag the user sets wins over the environment.
		r = runCLI(t, "runs", "list", "--data-dir", emptyDir)
		if !strings.Contains(errText(r.err), "no store in "+emptyDir) {
			t.Errorf("--data-dir did not override VIGIL_DATA_DIR: %v", r.err)
		}
	})
}

func TestVersion(t *testing.T) {
	isolateEnv(t)
	r := runCLI(t, "version")
	if r.code != 0 {
		t.Fatalf("exit code %d: %v", r.code, r.err)
	}
	if !strings.HasPrefix(r.stdout, "vigil "+version+"\n") {
		t.Errorf("stdout does not start with %q:\n%s", "vigil "+version, r.stdout)
	}
	if !regexp.MustCompile(`(?m)^go\.temporal\.io/sdk v\d+\.\d+\.\d+`).MatchString(r.stdout) {
		t.Errorf("stdout has no go.temporal.io/sdk version line:\n%s", r.stdout)
	}
	if r := runCLI(t, "version", "extra"); r.code != 2 {
		t.Errorf("version with an argument: exit code %d, want 2", r.code)
	}
}

func TestConfigPrecedence(t *testing.T) {
	isolateEnv(t)
	dir := t.TempDir()
	loud := writeFile(t, dir, "loud.yaml", "log_level: loud\n")
	unknown := writeFile(t, dir, "unknown.yaml", "log_levle: debug\n")
	ok := writeFile(t, dir, "ok.yaml", "log_level: debug\n")
	srv := echoServer(t)
	up := writeFile(t, dir, "up.yaml", httpMonitor("cfg-up", srv.URL+"/", "", "status == 200"))

	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		code    int
		wantErr string
	}{
		{"invalid value in the file", nil, []string{"--config", loud, "monitor", "run", up}, 2, "log_level"},
		{"invalid value, store command", nil, []string{"--config", loud, "runs", "list", "--data-dir", dir}, 2, "log_level"},
		{"unknown key in the file", nil, []string{"--config", unknown, "monitor", "run", up}, 2, "log_levle"},
		{"missing file", nil, []string{"--config", filepath.Join(dir, "nope.yaml"), "monitor", "run", up}, 2, "nope.yaml"},
		{"environment over file", map[string]string{"VIGIL_LOG_LEVEL": "info"}, []string{"--config", loud, "monitor", "run", up}, 0, ""},
		{"invalid environment over a valid file", map[string]string{"VIGIL_LOG_LEVEL": "loud"}, []string{"--config", ok, "monitor", "run", up}, 2, "log_level"},
		{"valid file", nil, []string{"--config", ok, "monitor", "run", up}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			r := runCLI(t, tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit code %d, want %d (err %v)\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.err, r.stdout, r.stderr)
			}
			if tt.wantErr != "" && !strings.Contains(errText(r.err), tt.wantErr) {
				t.Errorf("error %q does not mention %q", errText(r.err), tt.wantErr)
			}
		})
	}
}

func TestUnknownCommand(t *testing.T) {
	isolateEnv(t)
	r := runCLI(t, "frobnicate")
	if r.code != 2 || !strings.Contains(errText(r.err), "frobnicate") {
		t.Errorf("exit code %d, err %v", r.code, r.err)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestSpansList(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "vigil.db"), sqlite.Options{Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	var spans []span.Span
	for i := 0; i < 5; i++ {
		service := "checkout"
		if i%2 == 1 {
			service = "cart"
		}
		spans = append(spans, storetest.NewSpan(fmt.Sprintf("s%d", i), service, base.Add(time.Duration(i)*time.Second)))
	}
	if err := st.WriteSpans(context.Background(), spans); err != nil {
		t.Fatal(err)
	}
	st.Close()

	r := runCLI(t, "spans", "list", "--data-dir", dir, "--json", "--service", "checkout", "--limit", "2")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.output())
	}
	var got []span.Span
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("--json output is not a span list: %v\n%s", err, r.stdout)
	}
	if len(got) != 2 || got[0].ID != "s4" || got[1].ID != "s2" {
		t.Fatalf("got %d spans %v, want s4 then s2 (checkout, newest first, limit 2)", len(got), got)
	}
	r = runCLI(t, "spans", "list", "--data-dir", dir)
	if r.code != 0 || strings.Count(r.stdout, "\n") != 6 || !strings.Contains(r.stdout, "cart") {
		t.Fatalf("table output (exit %d):\n%s", r.code, r.output())
	}
}

// TestTracesGet: a client span of a trace, and the server span of the same
// connection stored under another trace id (the agent saw no trace context
// in the bytes), print as one trace with the server under the client.
func TestTracesGet(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "vigil.db"), sqlite.Options{Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	client := storetest.NewSpan("client", "frontend", base)
	client.Span.Kind, client.Span.Name, client.Span.Duration.US = span.KindClient, "GET /api/orders/{id}", 50_000
	client.Parent, client.Trace.ID = nil, "4bf92f3577b34da6a3ce929d0e0e4736"
	server := storetest.NewSpan("server", "orders", base.Add(5*time.Millisecond))
	server.Span.Duration.US, server.Parent = 40_000, nil
	server.Trace.ID = "0af7651916cd43dd8448eb211c80319c"
	if err := st.WriteSpans(context.Background(), []span.Span{client, server}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	r := runCLI(t, "traces", "get", "4bf92f3577b34da6a3ce929d0e0e4736", "--data-dir", dir)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.output())
	}
	for _, want := range []string{"trace 4bf92f3577b34da6a3ce929d0e0e4736: 2 spans, 50ms", "* frontend client GET /api/orders/{id}", "*   orders server GET /api/orders/{id}"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "not assembled yet") {
		t.Errorf("an on-the-fly trace must say so:\n%s", r.stderr)
	}
	r = runCLI(t, "traces", "list", "--data-dir", dir)
	if r.code != 0 || strings.Contains(r.stdout, "4bf92f3577b34da6a3ce929d0e0e4736") || !strings.Contains(r.stderr, "no assembled traces") {
		t.Errorf("traces list before assembly (exit %d):\n%s", r.code, r.output())
	}

	// What the AssembleTraces schedule does, once the window has ended.
	st, err = sqlite.Open(context.Background(), filepath.Join(dir, "vigil.db"), sqlite.Options{Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	win := contract.WindowInput{From: base, Until: base.Add(10 * time.Second), Margin: time.Second, MaxSpans: 100}
	if _, err := activities.NewTraces(st, pipeline.Options{}, discardLogger()).AssembleTraceWindow(context.Background(), win); err != nil {
		t.Fatal(err)
	}
	st.Close()
	r = runCLI(t, "traces", "list", "--data-dir", dir, "--service", "orders")
	if r.code != 0 || !strings.Contains(r.stdout, "4bf92f3577b34da6a3ce929d0e0e4736") || !strings.Contains(r.stdout, "frontend GET /api/orders/{id}") {
		t.Errorf("traces list (exit %d):\n%s", r.code, r.output())
	}
	r = runCLI(t, "traces", "get", "4bf92f3577b34da6a3ce929d0e0e4736", "--data-dir", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "*   orders server GET /api/orders/{id}") || !strings.Contains(r.stdout, "assembled ") || r.stderr != "" {
		t.Errorf("stored trace (exit %d):\n%s", r.code, r.output())
	}
	if r := runCLI(t, "traces", "get", "ffffffffffffffffffffffffffffffff", "--data-dir", dir); r.code == 0 || r.err == nil || !strings.Contains(r.err.Error(), "no spans of trace") {
		t.Errorf("unknown trace: exit %d: %v", r.code, r.err)
	}
}
