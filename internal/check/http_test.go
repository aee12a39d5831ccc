package check

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
)

// apiServer is a small API: POST /login returns a token, GET /users/{id}
// needs it.
func apiServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ User, Password string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if in.Password != "pw-1" {
			http.Error(w, "denied", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"token":"tok-%s","user":{"id":1234567,"name":%q}}`, in.User, in.User)
	})
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok-ann" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":%s,"name":"ann","page":%q,"items":[{"ok":true},{"ok":true}]}`, r.PathValue("id"), r.URL.Query().Get("page"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestHTTPJourneyExtractsIntoNextStep(t *testing.T) {
	srv := apiServer(t)
	r := newTestRunner(t, "VIGIL_SECRET_PASSWORD=pw-1")
	m := httpMonitor(
		monitor.Step{
			Name: "login",
			Request: monitor.Request{
				Method: "post",
				URL:    srv.URL + "/login",
				JSON:   map[string]any{"user": "ann", "password": "${secrets.PASSWORD}"},
			},
			Extract: map[string]string{"token": "json.token", "uid": "json.user.id"},
			Assert:  []string{"status == 200"},
		},
		monitor.Step{
			Name: "profile",
			Request: monitor.Request{
				URL:     srv.URL + "/users/${vars.uid}",
				Query:   map[string]string{"page": "2"},
				Headers: map[string]string{"Authorization": "Bearer ${vars.token}"},
			},
			Assert: []string{
				"status == 200",
				`json.name == "ann"`,
				"json.id == 1234567",
				`json.page == "2"`,
				"all(json.items, .ok)",
				`headers["content-type"] startsWith "application/json"`,
				`vars.uid == "1234567"`,
				"timings.total > duration(\"0s\")",
			},
		},
	)
	res := runOnce(t, r, m)
	wantStatus(t, res, result.StatusUp)

	if res.Summary != (result.Summary{Up: 2}) {
		t.Errorf("summary = %+v", res.Summary)
	}
	if got := strings.Join(res.Steps[0].Extracted, ","); got != "token,uid" {
		t.Errorf("extracted = %q", got)
	}
	if res.URL == nil || res.URL.Full != srv.URL+"/login" || res.URL.Domain != "127.0.0.1" || res.URL.Path != "/login" {
		t.Errorf("url = %+v", res.URL)
	}
	if got := res.Steps[1].URL.Full; got != srv.URL+"/users/1234567?page=2" {
		t.Errorf("step 2 url = %q", got)
	}
	first := res.Steps[0]
	if first.Timings.Total.US <= 0 || first.Timings.Connect.US <= 0 || first.Timings.FirstByte.US <= 0 {
		t.Errorf("first step timings = %+v; want total, connect and first byte > 0", first.Timings)
	}
	if first.Synthetics.Type != "step/end" || first.Synthetics.Step.Index != 1 || first.Synthetics.Step.Name != "login" {
		t.Errorf("step info = %+v", first.Synthetics)
	}
	if first.HTTP.Request.Method != http.MethodPost || first.HTTP.Response.MimeType != "application/json" {
		t.Errorf("http = %+v", first.HTTP)
	}
	if res.Monitor.ID != "m1" || res.Monitor.Name != "m1" || res.Monitor.Type != "http" || res.Monitor.Duration.US <= 0 {
		t.Errorf("monitor = %+v", res.Monitor)
	}
	if !res.Timestamp.Equal(res.Vigil.StartedAt) || res.Vigil.FinishedAt.Before(res.Vigil.StartedAt) {
		t.Errorf("times: timestamp %v started %v finished %v", res.Timestamp, res.Vigil.StartedAt, res.Vigil.FinishedAt)
	}
	if got := res.Monitor.Timespan.LT.Sub(res.Monitor.Timespan.GTE); got != time.Minute {
		t.Errorf("timespan = %v, want the schedule interval", got)
	}
	if len(res.Tags) != 1 || res.ID != "" || res.Monitor.CheckGroup != "" {
		t.Errorf("tags %v id %q check group %q", res.Tags, res.ID, res.Monitor.CheckGroup)
	}
}

func TestHTTPFailingStepStopsJourney(t *testing.T) {
	var later atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/later", func(w http.ResponseWriter, r *http.Request) { later.Add(1) })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	res := runOnce(t, newTestRunner(t), httpMonitor(
		get("health", srv.URL+"/health", "status == 200", `body contains "maint"`),
		get("later", srv.URL+"/later"),
	))
	wantStatus(t, res, result.StatusDown)
	wantError(t, res, result.ErrorAssertion, `step 1 "health": assertion failed: status == 200`)
	if len(res.Steps) != 1 || later.Load() != 0 {
		t.Fatalf("%d steps reported, later step called %d times; want the journey stopped", len(res.Steps), later.Load())
	}
	if res.Summary != (result.Summary{Down: 1}) {
		t.Errorf("summary = %+v", res.Summary)
	}
	s := res.Steps[0]
	if s.Synthetics.Step.Status != result.StatusDown || s.Error.Message != "assertion failed: status == 200" {
		t.Errorf("step = %+v, error %+v", s.Synthetics.Step, s.Error)
	}
	if a := s.Assertions[0]; a.Passed || a.Message != "status was 503" {
		t.Errorf("assertion 1 = %+v", a)
	}
	if a := s.Assertions[1]; !a.Passed {
		t.Errorf("assertion 2 = %+v; every assertion is evaluated and recorded", a)
	}
}

func TestHTTPAssertions(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/json":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"user":{"id":7,"roles":["admin"]},"ok":false}`)
		case "/sniffed":
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, `[1, 2, 3]`)
		case "/number":
			io.WriteString(w, "42\n")
		case "/missing":
			http.NotFound(w, r)
		default:
			w.Header().Set("X-Version", "1.2")
			io.WriteString(w, "hello world")
		}
	}))
	defer srv.Close()
	tests := []struct {
		name    string
		path    string
		asserts []string
		up      bool
		message string // of the first failing assertion
	}{
		{"json path", "/json", []string{"json.user.id == 7", `"admin" in json.user.roles`}, true, ""},
		{"json path fails", "/json", []string{"json.user.id == 8"}, false, "json.user.id was 7"},
		{"json bool", "/json", []string{"json.ok"}, false, "json.ok was false"},
		{"json without content type", "/sniffed", []string{"len(json) == 3"}, true, ""},
		{"json scalar", "/number", []string{"json == 42"}, true, ""},
		{"not json", "/", []string{"json == nil", `body == "hello world"`, "size == 11"}, true, ""},
		{"header", "/", []string{`headers["x-version"] == "1.3"`}, false, `headers["x-version"] was "1.2"`},
		{"several operands", "/json", []string{"status == 200 && json.user.id > 10"}, false, "status was 200, json.user.id was 7"},
		{"default assertion", "/missing", nil, false, "status was 404"},
		{"default assertion up", "/", nil, true, ""},
		{"invalid expression", "/", []string{"stauts == 200"}, false, "invalid expression"},
		{"evaluation error", "/json", []string{"json.user.id.x == 1"}, false, "evaluation failed"},
	}
	r := newTestRunner(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runOnce(t, r, httpMonitor(get(tt.name, srv.URL+tt.path, tt.asserts...)))
			if tt.up {
				wantStatus(t, res, result.StatusUp)
				return
			}
			wantStatus(t, res, result.StatusDown)
			wantError(t, res, result.ErrorAssertion, "assertion failed")
			for _, a := range res.Steps[0].Assertions {
				if !a.Passed {
					if !strings.Contains(a.Message, tt.message) {
						t.Errorf("message %q, want %q", a.Message, tt.message)
					}
					return
				}
			}
		})
	}
}

func TestHTTPExtractFailure(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"a":1}`)
	}))
	defer srv.Close()
	step := get("s", srv.URL)
	step.Extract = map[string]string{"token": "json.token"}
	res := runOnce(t, newTestRunner(t), httpMonitor(step))
	wantStatus(t, res, result.StatusDown)
	wantError(t, res, result.ErrorAssertion, `extract "token": json.token has no value`)
}

func TestHTTPRequestParts(t *testing.T) {
	var got struct {
		method, query, body, ctype, host, custom string
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.method, got.query, got.body = r.Method, r.URL.RawQuery, string(b)
		got.ctype, got.host, got.custom = r.Header.Get("Content-Type"), r.Host, r.Header.Get("X-Custom")
	}))
	defer srv.Close()
	m := httpMonitor(monitor.Step{Request: monitor.Request{
		Method:  "PUT",
		URL:     srv.URL + "/x?b=2&a=1",
		Query:   map[string]string{"c": "3 4"},
		Headers: map[string]string{"X-Custom": "v", "Host": "example.test", "Content-Type": "text/plain"},
		Body:    "raw body",
	}})
	res := runOnce(t, newTestRunner(t), m)
	wantStatus(t, res, result.StatusUp)
	want := struct{ method, query, body, ctype, host, custom string }{"PUT", "b=2&a=1&c=3+4", "raw body", "text/plain", "example.test", "v"}
	if got != want {
		t.Errorf("server saw %+v, want %+v", got, want)
	}
	if res.Steps[0].Synthetics.Step.Name != "step 1" {
		t.Errorf("default step name = %q", res.Steps[0].Synthetics.Step.Name)
	}
}

func TestHTTPRedirects(t *testing.T) {
	// /hop/N redirects to /hop/N-1; /hop/0 answers.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/hop/"))
		if n > 0 {
			http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusFound)
			return
		}
		io.WriteString(w, "landed")
	}))
	defer srv.Close()
	no := false
	tests := []struct {
		name     string
		hops     int
		max      int
		follow   *bool
		asserts  []string
		up       bool
		finalURL string
		errMsg   string
	}{
		{"followed", 3, 0, nil, []string{`body == "landed"`, `url endsWith "/hop/0"`}, true, "/hop/0", ""},
		{"at the limit", 3, 3, nil, nil, true, "/hop/0", ""},
		{"over the limit", 4, 3, nil, nil, false, "", "too many redirects: stopped after 3"},
		{"over the default limit", 11, 0, nil, nil, false, "", "stopped after 10"},
		{"not followed", 2, 0, &no, []string{"status == 302", `headers["location"] == "/hop/1"`}, true, "", ""},
	}
	r := newTestRunner(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step := get("hop", fmt.Sprintf("%s/hop/%d", srv.URL, tt.hops), tt.asserts...)
			step.Request.MaxRedirects = tt.max
			step.Request.FollowRedirects = tt.follow
			res := runOnce(t, r, httpMonitor(step))
			if !tt.up {
				wantStatus(t, res, result.StatusDown)
				wantError(t, res, result.ErrorIO, tt.errMsg)
				return
			}
			wantStatus(t, res, result.StatusUp)
			final, _ := res.Steps[0].Details["final_url"].(string)
			if tt.finalURL == "" && final != "" || !strings.HasSuffix(final, tt.finalURL) {
				t.Errorf("final_url = %q, want suffix %q", final, tt.finalURL)
			}
		})
	}
}

func TestHTTPTimeoutNamesStep(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}
	}))
	defer srv.Close()
	m := httpMonitor(get("fast", srv.URL+"/fast"), get("slow", srv.URL+"/slow"))
	m.Timeout = monitor.Duration(300 * time.Millisecond)
	start := time.Now()
	res := runOnce(t, newTestRunner(t), m)
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("run took %v; want it cut at the monitor timeout", elapsed)
	}
	wantStatus(t, res, result.StatusDown)
	wantError(t, res, result.ErrorIO, `step 2 "slow": GET request: timed out after 300ms`)
	if res.Summary != (result.Summary{Up: 1, Down: 1}) {
		t.Errorf("summary = %+v", res.Summary)
	}
}

func TestHTTPUnreachable(t *testing.T) {
	url := fmt.Sprintf("http://127.0.0.1:%d/", closedPort(t))
	res := runOnce(t, newTestRunner(t), httpMonitor(get("down", url)))
	wantStatus(t, res, result.StatusDown)
	wantError(t, res, result.ErrorIO, "connection refused")
	if res.URL == nil || res.URL.Full != url {
		t.Errorf("url = %+v", res.URL)
	}
}

func TestHTTPConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		m    monitor.Monitor
		want string
	}{
		{"missing secret", httpMonitor(get("s", "http://127.0.0.1:1/?k=${secrets.API_KEY}")),
			`secret "API_KEY" is not set (VIGIL_SECRET_API_KEY or the secrets file)`},
		{"missing var", httpMonitor(get("s", "http://127.0.0.1:1/${vars.id}")), `variable "id" is not set`},
		{"relative url", httpMonitor(get("s", "/path")), "want an absolute http or https URL"},
		{"bad ca file", httpMonitor(monitor.Step{Request: monitor.Request{URL: "https://127.0.0.1:1/", TLS: monitor.TLSClient{CAFile: "/nonexistent.pem"}}}), "read ca_file"},
		{"no steps", httpMonitor(), "http monitor has no steps"},
		{"unknown type", monitor.Monitor{ID: "b", Type: "ftp"}, `monitor type "ftp" is not run`},
		{"no tcp section", monitor.Monitor{ID: "t", Type: monitor.TypeTCP}, "tcp monitor has no tcp section"},
	}
	r := newTestRunner(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runOnce(t, r, tt.m)
			wantStatus(t, res, result.StatusDown)
			wantError(t, res, result.ErrorConfig, tt.want)
			if tt.name == "missing secret" && (res.URL == nil || !strings.Contains(res.URL.Full, "${secrets.API_KEY}")) {
				t.Errorf("url = %+v; want the URL as written", res.URL)
			}
		})
	}
}

func TestHTTPBodyTruncated(t *testing.T) {
	big := strings.Repeat("é", 50_000) // 100,000 bytes
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, big)
	}))
	defer srv.Close()
	r := NewRunner(Options{BodyLimit: 1001})
	res := runOnce(t, r, httpMonitor(get("big", srv.URL, "size == 100000", `body endsWith "é"`)))
	wantStatus(t, res, result.StatusUp)
	b := res.Steps[0].HTTP.Response.Body
	if b.Bytes != 100_000 || !b.Truncated || len(b.Content) != 1000 {
		t.Errorf("body bytes %d truncated %v kept %d; want 100000, true, 1000 (cut on a character)", b.Bytes, b.Truncated, len(b.Content))
	}
}

func TestHTTPInterruptedIsAnError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := newTestRunner(t).Run(ctx, httpMonitor(get("s", srv.URL)))
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("err = %v; want an interruption error", err)
	}
}

func TestRunnerConcurrent(t *testing.T) {
	srv := apiServer(t)
	r := newTestRunner(t, "VIGIL_SECRET_PASSWORD=pw-1")
	step := monitor.Step{
		Request: monitor.Request{Method: "POST", URL: srv.URL + "/login", JSON: map[string]any{"user": "bob", "password": "${secrets.PASSWORD}"}},
		Assert:  []string{"status == 200", `json.user.name == "bob"`},
	}
	errs := make(chan string, 16)
	for range 16 {
		go func() {
			res, err := r.Run(context.Background(), httpMonitor(step))
			switch {
			case err != nil:
				errs <- err.Error()
			case !res.Up():
				errs <- fmt.Sprintf("down: %+v", res.Error)
			default:
				errs <- ""
			}
		}()
	}
	for range 16 {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}
