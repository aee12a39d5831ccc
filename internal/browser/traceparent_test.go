package browser

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// seen is one request a test server received.
type seen struct {
	host, path, traceparent, custom, cookie string
}

// recorder is a server that keeps the headers of every request.
type recorder struct {
	mu   sync.Mutex
	reqs []seen
}

func (rec *recorder) record(r *http.Request) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	c, _ := r.Cookie("session")
	cookie := ""
	if c != nil {
		cookie = c.Value
	}
	rec.reqs = append(rec.reqs, seen{host: r.Host, path: r.URL.Path, traceparent: r.Header.Get("Traceparent"),
		custom: r.Header.Get("X-Custom"), cookie: cookie})
}

func (rec *recorder) all() []seen {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]seen(nil), rec.reqs...)
}

// tracedSite serves a page whose requests are of every kind: document,
// stylesheet, script, image, iframe, XHR, a POST fetch after a click, a
// redirect, and an image of another origin (localhost instead of
// 127.0.0.1: a third party to the page).
func tracedSite(t *testing.T) (*httptest.Server, *recorder) {
	t.Helper()
	rec := &recorder{}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		switch r.URL.Path {
		case "/":
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "s1", Path: "/"})
			fmt.Fprintf(w, `<!doctype html><html><head><title>Traced</title><link rel="stylesheet" href="/style.css">
<script src="/app.js"></script></head><body>
<img src="/logo.png" width="5" height="5"><img src="http://localhost:%s/third.png" width="5" height="5">
<iframe src="/frame.html"></iframe>
<button id="buy" onclick="fetch('/api/orders', {method: 'POST', body: '{}'}).then(r => r.text()).then(t => document.getElementById('out').textContent = t)">buy</button>
<div id="out"></div>
<script>const x = new XMLHttpRequest(); x.open('GET', '/api/cart'); x.send();</script>
</body></html>`, hostPort(r.Host))
		case "/style.css":
			w.Header().Set("Content-Type", "text/css")
			fmt.Fprint(w, "body{margin:0}")
		case "/app.js":
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprint(w, "window.app = 1;")
		case "/frame.html":
			fmt.Fprint(w, `<html><body><img src="/moved.png" width="1" height="1"></body></html>`)
		case "/moved.png":
			http.Redirect(w, r, "/pixel.png", http.StatusFound)
		case "/api/orders":
			fmt.Fprint(w, "order placed")
		default:
			w.Header().Set("Content-Type", "image/png")
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, rec
}

var traceparentRE = regexp.MustCompile(`^00-([0-9a-f]{32})-([0-9a-f]{16})-01$`)

// TestTraceparentOnEveryRequest: every request of the page to its own
// origin, whatever its kind, carries a valid traceparent of the trace of
// the step that sent it, each with a fresh span id; the result lists those
// traces with their request counts; the third-party origin gets none; the
// page's cookies and a header step's headers still reach the server.
func TestTraceparentOnEveryRequest(t *testing.T) {
	r, logs := newTestRunner(t)
	defer func() {
		if t.Failed() {
			t.Log(logs.String())
		}
	}()
	srv, rec := tracedSite(t)
	res, err := r.Run(context.Background(), Journey{
		Name:        "traced",
		Propagation: &Propagation{},
		Steps: []Step{
			{Action: ActionHeader, Headers: map[string]string{"X-Custom": "kept"}},
			{Action: ActionGoto, URL: srv.URL + "/"},
			{Action: ActionWaitFor, State: StateNetworkIdle},
			{Action: ActionClick, Selector: "#buy"},
			{Action: ActionWaitFor, State: StateText, Selector: "#out", Text: "order placed"},
		},
	})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.PropagationError != "" {
		t.Errorf("propagation error: %s", res.PropagationError)
	}
	stepOf := map[string]int{}
	for _, tr := range res.Traces {
		stepOf[tr.TraceID] = tr.Step
	}
	perTrace := map[string]int{}
	spanIDs := map[string]bool{}
	paths := map[string]bool{}
	for _, s := range rec.all() {
		if strings.HasPrefix(s.host, "localhost:") {
			if s.traceparent != "" {
				t.Errorf("third-party request %s carried traceparent %q", s.path, s.traceparent)
			}
			continue
		}
		paths[s.path] = true
		m := traceparentRE.FindStringSubmatch(s.traceparent)
		if m == nil {
			t.Errorf("request %s: traceparent %q is not 00-<32 hex>-<16 hex>-01", s.path, s.traceparent)
			continue
		}
		if _, ok := stepOf[m[1]]; !ok {
			t.Errorf("request %s: trace %s is none of the result's traces %+v", s.path, m[1], res.Traces)
		}
		if spanIDs[m[2]] {
			t.Errorf("request %s: span id %s was sent before", s.path, m[2])
		}
		spanIDs[m[2]] = true
		perTrace[m[1]]++
		if s.custom != "kept" {
			t.Errorf("request %s lost the header step's X-Custom (got %q)", s.path, s.custom)
		}
		if s.path == "/api/orders" {
			if step := stepOf[m[1]]; step != 3 {
				t.Errorf("the click's POST carried the trace of step %d, want 3", step)
			}
			if s.cookie != "s1" {
				t.Errorf("the POST lost the page's cookie (got %q)", s.cookie)
			}
		}
	}
	for _, p := range []string{"/", "/style.css", "/app.js", "/logo.png", "/frame.html", "/moved.png", "/pixel.png", "/api/cart", "/api/orders"} {
		if !paths[p] {
			t.Errorf("the server never saw %s (saw %v)", p, paths)
		}
	}
	for _, tr := range res.Traces {
		if perTrace[tr.TraceID] != tr.Requests {
			t.Errorf("trace of step %d: result counts %d requests, the server saw %d", tr.Step, tr.Requests, perTrace[tr.TraceID])
		}
	}
	if len(res.Traces) < 2 {
		t.Errorf("traces = %+v, want the goto's and the click's", res.Traces)
	}
}

func TestOriginsOf(t *testing.T) {
	j := Journey{Propagation: &Propagation{Origins: []string{"https://API.shop.example:443/", "http://127.0.0.1:8080", "*"}}, Steps: []Step{
		{Action: ActionGoto, URL: "https://Shop.Example/cart?x=1"},
		{Action: ActionGoto, URL: "http://[::1]:8081/"},
		{Action: ActionGoto, URL: "https://shop.example:443/again"},
		{Action: ActionGoto, URL: "about:blank"},
		{Action: ActionClick, URL: "https://ignored.example/"},
	}}
	want := []string{"https://shop.example", "http://[::1]:8081", "https://api.shop.example", "http://127.0.0.1:8080", "*"}
	if got := originsOf(j); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("origins = %q, want %q", got, want)
	}
}

// TestTraceparentOrigins: "*" extends propagation to every origin; a run
// without Propagation sends none.
func TestTraceparentOrigins(t *testing.T) {
	r, _ := newTestRunner(t)
	for _, tc := range []struct {
		name      string
		prop      *Propagation
		wantThird bool
		wantFirst bool
	}{
		{"every origin", &Propagation{Origins: []string{"*"}}, true, true},
		{"off", nil, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, rec := tracedSite(t)
			_, err := r.Run(context.Background(), Journey{Name: "origins", Propagation: tc.prop, Steps: []Step{
				{Action: ActionGoto, URL: srv.URL + "/"},
				{Action: ActionWaitFor, State: StateNetworkIdle},
			}})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range rec.all() {
				want := tc.wantFirst
				if strings.HasPrefix(s.host, "localhost:") {
					want = tc.wantThird
				}
				if got := s.traceparent != ""; got != want {
					t.Errorf("%s%s: traceparent %q, want one: %v", s.host, s.path, s.traceparent, want)
				}
			}
		})
	}
}

// TestTraceparentRefusedGoesOn: when the browser refuses the header, every
// request still goes on, unchanged, and the result says so.
func TestTraceparentRefusedGoesOn(t *testing.T) {
	r, _ := newTestRunner(t)
	srv, rec := tracedSite(t)
	makeTraceparent = func(string) string { return "bad\r\nvalue" }
	defer func() { makeTraceparent = Traceparent }()
	res, err := r.Run(context.Background(), Journey{Name: "refused", Propagation: &Propagation{}, Steps: []Step{
		{Action: ActionGoto, URL: srv.URL + "/"},
		{Action: ActionWaitFor, State: StateNetworkIdle},
		{Action: ActionClick, Selector: "#buy"},
		{Action: ActionWaitFor, State: StateText, Selector: "#out", Text: "order placed"},
	}})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(res.PropagationError, "some requests went without traceparent") || len(res.Traces) != 0 {
		t.Errorf("propagation error %q, traces %+v: want the refusal said and no trace", res.PropagationError, res.Traces)
	}
	n := 0
	for _, s := range rec.all() {
		if !strings.HasPrefix(s.host, "localhost:") {
			n++
		}
		if s.traceparent != "" {
			t.Errorf("%s carried %q", s.path, s.traceparent)
		}
	}
	if n < 9 {
		t.Errorf("the server saw %d first-party requests, want all 9", n)
	}
}
