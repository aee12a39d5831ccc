package browser

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// 1x1 transparent PNG.
var tinyPNG, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")

func harServer(t *testing.T) *httptest.Server {
	t.Helper()
	dead := closedPort(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/app", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "sessval-xyz"})
		fmt.Fprintf(w, `<!doctype html><html><head><title>App</title><script src="/app.js"></script></head><body>
<img src="/img.png"><img src="/missing.png"><img src="http://127.0.0.1:%d/refused.png">
<input id="token"><button id="send" onclick="send()">Send</button></body></html>`, dead)
	})
	mux.Handle("/go", http.RedirectHandler("/app", http.StatusFound))
	mux.HandleFunc("/app.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, `function send() {
  const tok = document.querySelector('#token').value;
  fetch('/api/data?q=1', {method: 'POST', headers: {'Authorization': 'Bearer ' + tok, 'Content-Type': 'application/json'},
    body: JSON.stringify({token: tok})})
    .then(r => r.json()).then(d => {
      const el = document.createElement('div');
      el.id = 'added';
      el.textContent = d.message + ' ' + d.got;
      document.body.appendChild(el);
    });
}`)
	})
	mux.HandleFunc("/img.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(tinyPNG)
	})
	mux.HandleFunc("/api/data", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Token string }
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &in)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"message": "hello from api", "got": in.Token})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestHARAndDOM(t *testing.T) {
	r, logs := newTestRunner(t)
	srv := harServer(t)
	res, err := r.Run(context.Background(), Journey{Name: "har", Steps: []Step{
		{Action: ActionGoto, URL: srv.URL + "/go"},
		{Action: ActionType, Selector: "#token", Value: secretPassword, Secret: true},
		{Action: ActionClick, Selector: "#send"},
		{Action: ActionWaitFor, Selector: "#added"},
	}})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	var doc harDoc
	if err := json.Unmarshal(res.HAR, &doc); err != nil {
		t.Fatalf("HAR is not JSON: %v", err)
	}
	if doc.Log.Version != "1.2" || doc.Log.Creator.Name != "vigil" {
		t.Errorf("log version %q creator %+v", doc.Log.Version, doc.Log.Creator)
	}
	if len(doc.Log.Pages) != 1 || doc.Log.Pages[0].Title != "App" || doc.Log.Pages[0].PageTimings.OnLoad == nil {
		t.Errorf("pages %+v", doc.Log.Pages)
	}
	want := map[string]int64{"/go": 302, "/app": 200, "/app.js": 200, "/img.png": 200, "/missing.png": 404, "/refused.png": 0, "/api/data?q=1": 200}
	got := map[string]harEntry{}
	for _, e := range doc.Log.Entries {
		for suffix := range want {
			if strings.HasSuffix(e.Request.URL, suffix) {
				got[suffix] = e
			}
		}
		tm := e.Timings
		for _, v := range []float64{tm.Blocked, tm.DNS, tm.Connect, tm.SSL, tm.Send, tm.Wait, tm.Receive} {
			if v < 0 && v != -1 {
				t.Errorf("%s: bad timing %+v", e.Request.URL, tm)
			}
		}
		if tm.Send < 0 || tm.Wait < 0 || tm.Receive < 0 || e.Time < 0 {
			t.Errorf("%s: send/wait/receive/time must be >= 0: %+v %v", e.Request.URL, tm, e.Time)
		}
		if e.PageRef != "page_1" {
			t.Errorf("%s: pageref %q", e.Request.URL, e.PageRef)
		}
	}
	for suffix, status := range want {
		e, ok := got[suffix]
		if !ok {
			t.Errorf("no entry for %s", suffix)
			continue
		}
		if e.Response.Status != status {
			t.Errorf("%s: status %d, want %d", suffix, e.Response.Status, status)
		}
		if status == 0 && e.Error == "" {
			t.Errorf("%s: no _error", suffix)
		}
	}
	api := got["/api/data?q=1"]
	if !strings.Contains(api.Response.Content.Text, "hello from api") {
		t.Errorf("api body %q", api.Response.Content.Text)
	}
	if api.Request.PostData == nil || !strings.Contains(api.Request.PostData.Text, secretMask) {
		t.Errorf("api post data %+v", api.Request.PostData)
	}
	if len(api.Request.QueryString) != 1 || api.Request.QueryString[0] != (harNV{"q", "1"}) {
		t.Errorf("query string %+v", api.Request.QueryString)
	}
	if !hasHeader(api.Request.Headers, "Authorization", secretMask) {
		t.Errorf("authorization not redacted: %+v", api.Request.Headers)
	}
	if got["/go"].Response.RedirectURL != "/app" {
		t.Errorf("redirect %+v", got["/go"].Response)
	}
	if len(api.Request.Cookies) != 1 || api.Request.Cookies[0] != (harNV{"session", secretMask}) || !hasHeader(api.Request.Headers, "Cookie", secretMask) {
		t.Errorf("request cookie not redacted: %+v", api.Request.Cookies)
	}
	page := got["/app"]
	if !hasHeader(page.Response.Headers, "Set-Cookie", secretMask) || len(page.Response.Cookies) != 1 || page.Response.Cookies[0] != (harNV{"session", secretMask}) {
		t.Errorf("set-cookie not redacted: %+v %+v", page.Response.Headers, page.Response.Cookies)
	}
	if !strings.Contains(page.Response.Content.Text, `id="token"`) {
		t.Errorf("document body missing")
	}
	for what, s := range map[string]string{"HAR": string(res.HAR), "DOM": res.DOM, "logs": logs.String()} {
		for _, leak := range []string{secretPassword, "sessval-xyz"} {
			if strings.Contains(s, leak) {
				t.Errorf("%q in %s", leak, what)
			}
		}
	}
	if !strings.Contains(res.DOM, `id="added"`) || !strings.Contains(res.DOM, "hello from api "+secretMask) {
		t.Errorf("DOM lacks the element added at run time: %.500s", res.DOM)
	}
	if len(res.Shots) != 0 {
		t.Errorf("screenshots on success: %d", len(res.Shots))
	}
}

func hasHeader(hs []harNV, name, value string) bool {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) && h.Value == value {
			return true
		}
	}
	return false
}

func TestFailureScreenshotAndDOM(t *testing.T) {
	r, _ := newTestRunner(t)
	srv := harServer(t)
	res, err := r.Run(context.Background(), Journey{Steps: []Step{
		{Action: ActionGoto, URL: srv.URL + "/app"},
		{Action: ActionWaitFor, Selector: "#nope", Timeout: time.Second},
	}})
	if err == nil {
		t.Fatal("want error")
	}
	if len(res.Shots) != 1 || res.Shots[0].Name != "failure" || res.Shots[0].Step != 1 {
		t.Fatalf("shots %+v", len(res.Shots))
	}
	if _, err := png.Decode(bytes.NewReader(res.Shots[0].PNG)); err != nil {
		t.Errorf("failure screenshot: %v", err)
	}
	if !strings.Contains(res.DOM, `id="send"`) {
		t.Errorf("DOM of failing page missing: %.300s", res.DOM)
	}
	if !json.Valid(res.HAR) {
		t.Errorf("HAR invalid on failure")
	}
}

func TestCapMasked(t *testing.T) {
	m := masker{secrets: []string{"abcdef"}}
	if got := capMasked("xxxxabc", 7, m); got != "xxxx" {
		t.Errorf("got %q", got)
	}
	if got := capMasked("xxé", 3, m); got != "xx" {
		t.Errorf("got %q", got)
	}
	if got := maskHAR(m, "p=abc%20def&q=abcdef"); got != "p=abc%20def&q=***" {
		t.Errorf("got %q", got)
	}
}
