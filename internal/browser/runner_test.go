package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const secretPassword = "hunter2-S3cr3t!"

// syncBuffer collects log output from concurrent goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newTestRunner(t *testing.T) (*Runner, *syncBuffer) {
	t.Helper()
	if DefaultChromiumPath() == "" {
		t.Skip("chromium not installed (want /usr/bin/chromium or chromium on PATH)")
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return NewRunner(Options{Logger: logger}), logs
}

func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func testServer(t *testing.T) *httptest.Server {
	t.Helper()
	dead := closedPort(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/vitals", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><html><head><title>Vitals</title></head><body style="margin:0">
<h1 id="hero" style="font-size:120px;margin:0;height:400px">Big hero headline</h1>
<p>small text</p>
<img src="/missing.png" width="10" height="10">
<img src="http://127.0.0.1:%d/refused.png" width="10" height="10">
<img src="http://localhost:%s/third.png" width="10" height="10">
<script>
console.error("boom from page", 42);
console.warn("careful");
window.addEventListener('load', () => {
  setTimeout(() => {
    const d = document.createElement('div');
    d.style.height = '300px';
    d.textContent = 'late banner';
    document.body.insertBefore(d, document.body.firstChild);
  }, 300);
  setTimeout(() => { throw new Error("kaboom uncaught"); }, 50);
});
</script></body></html>`, dead, hostPort(r.Host))
	})
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			if r.FormValue("password") != secretPassword {
				http.Error(w, "bad password", http.StatusForbidden)
				return
			}
			fmt.Fprint(w, `<html><head><title>Dashboard</title></head><body><h2 id="welcome">Welcome back, alice</h2></body></html>`)
			return
		}
		fmt.Fprint(w, `<html><head><title>Login</title></head><body>
<form method="post" action="/login">
<input id="user" name="user"><input id="password" name="password" type="password">
<select id="lang" name="lang"><option value="en">en</option><option value="fr">fr</option></select>
<button id="submit" type="submit">Sign in</button></form></body></html>`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestVitalsConsoleAndFailedRequests(t *testing.T) {
	r, _ := newTestRunner(t)
	srv := testServer(t)
	res, err := r.Run(context.Background(), Journey{
		Name: "vitals",
		Steps: []Step{
			{Action: ActionGoto, URL: srv.URL + "/vitals"},
			{Action: ActionWaitFor, State: StateText, Text: "late banner"},
			{Action: ActionWaitFor, State: StateNetworkIdle},
			{Action: ActionAssert, Expr: `vitals.cls > 0 && count("h1") == 1 && visible("#hero")`},
		},
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	v := res.Vitals
	t.Logf("vitals: %+v", v)
	if v.LCPElement != "h1#hero" {
		t.Errorf("LCPElement = %q, want h1#hero", v.LCPElement)
	}
	if v.LCP <= 0 || v.FCP <= 0 || v.TTFB <= 0 {
		t.Errorf("LCP/FCP/TTFB should be positive: %+v", v)
	}
	if v.CLS <= 0.05 || v.CLS > 1 {
		t.Errorf("CLS = %v, want a clear shift in (0.05, 1]", v.CLS)
	}
	var sawErr, sawExc bool
	for _, c := range res.Console {
		t.Logf("console: %+v", c)
		if c.Level == "error" && strings.Contains(c.Text, "boom from page 42") {
			sawErr = true
		}
		if c.Level == "exception" && strings.Contains(c.Text, "kaboom uncaught") && c.Line > 0 {
			sawExc = true
		}
	}
	if !sawErr || !sawExc {
		t.Errorf("console error seen=%v, exception seen=%v", sawErr, sawExc)
	}
	var saw404, sawRefused bool
	for _, f := range res.Failed {
		t.Logf("failed: %+v", f)
		if strings.HasSuffix(f.URL, "/missing.png") && f.Status == 404 {
			saw404 = true
		}
		if strings.HasSuffix(f.URL, "/refused.png") && strings.Contains(f.Reason, "REFUSED") {
			sawRefused = true
		}
	}
	if len(res.ThirdParty) != 1 || res.ThirdParty[0] != "localhost" {
		t.Errorf("ThirdParty = %v, want [localhost]", res.ThirdParty)
	}
	if !saw404 || !sawRefused {
		t.Errorf("404 seen=%v, refused seen=%v", saw404, sawRefused)
	}
}

func TestLoginJourneyMasksSecret(t *testing.T) {
	r, logs := newTestRunner(t)
	srv := testServer(t)
	res, err := r.Run(context.Background(), Journey{
		Name: "login",
		Steps: []Step{
			{Action: ActionGoto, URL: srv.URL + "/login"},
			{Action: ActionType, Selector: "#user", Value: "alice"},
			{Action: ActionType, Selector: "#password", Value: secretPassword, Secret: true},
			{Action: ActionSelect, Selector: "#lang", Value: "fr"},
			{Action: ActionEval, Name: "typed", Script: `document.querySelector('#password').value`},
			{Action: ActionHover, Selector: "#submit"},
			{Action: ActionClick, Selector: "#submit"},
			{Action: ActionWaitFor, State: StateText, Text: "Welcome back"},
			{Action: ActionAssert, Expr: `title == "Dashboard" && text("#welcome") contains "alice"`},
		},
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Status != StatusUp || len(res.Steps) != 9 {
		t.Fatalf("status %s, %d steps", res.Status, len(res.Steps))
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(secretPassword)) {
		t.Errorf("secret in result JSON: %s", b)
	}
	if strings.Contains(logs.String(), secretPassword) {
		t.Errorf("secret in logs")
	}
	// The form posts the password URL-encoded.
	for _, leak := range []string{secretPassword, url.QueryEscape(secretPassword)} {
		if bytes.Contains(res.HAR, []byte(leak)) || strings.Contains(res.DOM, leak) {
			t.Errorf("secret %q in HAR or DOM", leak)
		}
	}
	if !bytes.Contains(res.HAR, []byte(`"password=***`)) && !bytes.Contains(res.HAR, []byte(`password=***`)) {
		t.Errorf("form post data missing from HAR")
	}
	if !strings.Contains(res.Steps[2].Description, secretMask) {
		t.Errorf("description %q not masked", res.Steps[2].Description)
	}
}

func TestFailures(t *testing.T) {
	r, _ := newTestRunner(t)
	srv := testServer(t)
	tests := []struct {
		name    string
		step    Step
		kind    ErrorKind
		errText string
		maxDur  time.Duration
	}{
		{"missing selector", Step{Action: ActionWaitFor, Selector: "#nope", Timeout: time.Second}, KindIO, "#nope", 4 * time.Second},
		{"false assertion", Step{Action: ActionAssert, Expr: `title == "Other"`}, KindAssertion, "assertion failed", 4 * time.Second},
		{"secret in failing step", Step{Action: ActionType, Selector: "#absent", Value: secretPassword, Secret: true, Timeout: time.Second}, KindIO, "#absent", 4 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := r.Run(context.Background(), Journey{Steps: []Step{
				{Action: ActionGoto, URL: srv.URL + "/login"}, tt.step,
				{Action: ActionGoto, URL: srv.URL + "/never"},
			}})
			if err == nil {
				t.Fatal("want error")
			}
			if IsInfrastructure(err) || res.ErrorKind != tt.kind || res.FailedStep != 1 || len(res.Steps) != 2 {
				t.Fatalf("kind=%s failed=%d steps=%d err=%v", res.ErrorKind, res.FailedStep, len(res.Steps), err)
			}
			if !strings.Contains(res.Error, tt.errText) || strings.Contains(err.Error(), secretPassword) {
				t.Errorf("error %q", err)
			}
			if d := res.Steps[1].Duration; d > tt.maxDur {
				t.Errorf("step took %s", d)
			}
		})
	}
}

func TestScreenshotSize(t *testing.T) {
	r, _ := newTestRunner(t)
	srv := testServer(t)
	res, err := r.Run(context.Background(), Journey{
		Viewport: Viewport{W: 800, H: 600},
		Steps: []Step{
			{Action: ActionGoto, URL: srv.URL + "/login"},
			{Action: ActionScreenshot, Name: "a"},
			{Action: ActionViewport, Width: 400, Height: 300},
			{Action: ActionScreenshot, Name: "b"},
		},
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := [][2]int{{800, 600}, {400, 300}}
	if len(res.Shots) != 2 {
		t.Fatalf("%d screenshots", len(res.Shots))
	}
	for i, s := range res.Shots {
		img, err := png.Decode(bytes.NewReader(s.PNG))
		if err != nil {
			t.Fatalf("decode %s: %v", s.Name, err)
		}
		if b := img.Bounds(); b.Dx() != want[i][0] || b.Dy() != want[i][1] {
			t.Errorf("%s: %dx%d, want %v", s.Name, b.Dx(), b.Dy(), want[i])
		}
	}
}

func hostPort(hostport string) string {
	_, port, _ := net.SplitHostPort(hostport)
	return port
}

// blockingPage has a 300 ms long task after load (TBT counts what is over
// 50 ms) and a button whose handler blocks for 250 ms (INP measures the
// slowest interaction of the journey).
const blockingPage = `<!doctype html><html><head><title>Blocking</title></head><body>
<h1>Blocking</h1><button id="slow" type="button">slow</button><p id="out"></p>
<script>
function busy(ms) { const end = performance.now() + ms; while (performance.now() < end) {} }
document.getElementById('slow').addEventListener('click', () => { busy(250); document.getElementById('out').textContent = 'done'; });
addEventListener('load', () => setTimeout(() => busy(300), 0));
</script></body></html>`

// TestINPAndTBT: the journey's own click on a slow handler gives an INP of
// at least the handler's time, and a long task gives a TBT of at least its
// blocking part.
func TestINPAndTBT(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, blockingPage)
	}))
	defer srv.Close()
	// Both binaries: the full chromium reports Event Timing entries, the
	// headless shell does not (INP is then measured by the injected script).
	for _, bin := range []string{"/usr/bin/chromium", "/usr/bin/chromium-headless-shell"} {
		t.Run(filepath.Base(bin), func(t *testing.T) {
			if _, err := os.Stat(bin); err != nil {
				t.Skipf("%s is not installed", bin)
			}
			checkINPAndTBT(t, NewRunner(Options{ChromiumPath: bin}), srv.URL)
		})
	}
}

func checkINPAndTBT(t *testing.T, r *Runner, url string) {
	res, err := r.Run(context.Background(), Journey{Name: "blocking", Steps: []Step{
		{Action: ActionGoto, URL: url},
		{Action: ActionClick, Selector: "#slow"},
		{Action: ActionWaitFor, State: StateText, Text: "done"},
	}})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	v := res.Vitals
	t.Logf("vitals: %+v", v)
	if v.INP < 200 || v.INP > 2000 {
		t.Errorf("INP = %v ms, want at least the 250 ms handler (>= 200)", v.INP)
	}
	if v.TBT < 200 || v.TBT > 2000 {
		t.Errorf("TBT = %v ms, want about the 300 ms long task's 250 ms over 50 ms (>= 200)", v.TBT)
	}
}
