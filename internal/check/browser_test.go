package check

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/attach"
	"github.com/vigil-dev/vigil/internal/browser"
	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
)

const loginPage = `<!doctype html><html><head><title>Shop</title></head><body>
<h1 id="hero">Welcome to the shop</h1>
<form id="f"><input id="user"><input id="password" type="password"><button id="login" type="button">Log in</button></form>
<div id="out"></div>
<script>
document.getElementById('login').onclick = () => {
  const ok = document.getElementById('password').value === 's3cret-pass';
  document.getElementById('out').innerHTML = ok ? '<p class="item">Hello demo</p><p class="item">cart</p>' : 'Wrong password';
};
</script></body></html>`

func needChromium(t *testing.T) {
	t.Helper()
	if browser.DefaultChromiumPath() == "" {
		t.Skip("browser monitors need Debian's chromium (apt-get install chromium; make test installs it)")
	}
}

func TestBrowserMonitor(t *testing.T) {
	needChromium(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, loginPage)
	}))
	defer srv.Close()
	journey := func(extra ...monitor.Step) monitor.Monitor {
		steps := []monitor.Step{
			{Name: "home", Goto: srv.URL + "/"},
			{Type: &monitor.FieldInput{Selector: "#user", Value: "demo"}},
			{Type: &monitor.FieldInput{Selector: "#password", Value: "${secrets.SHOP_PASSWORD}"}},
			{Name: "log in", Click: "#login"},
			{WaitFor: &monitor.WaitFor{Text: "Hello demo"}},
			{Eval: &monitor.Eval{Name: "items", Script: "document.querySelectorAll('.item').length"}},
			{Assert: []string{`title == "Shop"`, `vars.items == 2 && count(".item") == 2`, `text("#out") contains "Hello"`}},
			{Screenshot: "after-login"},
		}
		return monitor.Monitor{ID: "shop", Type: monitor.TypeBrowser, Timeout: monitor.Duration(30 * time.Second), Steps: append(steps, extra...)}
	}
	r := newTestRunner(t, "VIGIL_SECRET_SHOP_PASSWORD=s3cret-pass")

	t.Run("journey passes", func(t *testing.T) {
		res, err := r.Run(context.Background(), journey())
		if err != nil {
			t.Fatal(err)
		}
		if res.Monitor.Status != result.StatusUp || len(res.Steps) != 10 {
			t.Fatalf("status %s with %d steps (want up, 10: asserts count one each): %+v", res.Monitor.Status, len(res.Steps), res.Error)
		}
		if res.Browser == nil || res.Browser.Experience.FCP <= 0 || res.Browser.Screenshots != 1 {
			t.Errorf("browser summary %+v", res.Browser)
		}
		doc, _ := json.Marshal(res)
		if strings.Contains(string(doc), "s3cret-pass") {
			t.Errorf("the secret reached the result: %s", doc)
		}
	})
	t.Run("a selector that never appears fails its step", func(t *testing.T) {
		m := journey(monitor.Step{Name: "checkout", Click: "#checkout", Timeout: monitor.Duration(time.Second)})
		res, err := r.Run(context.Background(), m)
		if err != nil {
			t.Fatal(err)
		}
		last := res.Steps[len(res.Steps)-1]
		if res.Monitor.Status != result.StatusDown || last.Synthetics.Step.Name != "checkout" || last.Error == nil || last.Error.Type != result.ErrorIO {
			t.Fatalf("status %s, last step %+v", res.Monitor.Status, last)
		}
		if res.Error == nil || !strings.Contains(res.Error.Message, "checkout") {
			t.Errorf("the result's error does not name the step: %+v", res.Error)
		}
	})
	t.Run("a failed assertion is an assertion error", func(t *testing.T) {
		res, err := r.Run(context.Background(), journey(monitor.Step{Assert: []string{`title == "Other"`}}))
		if err != nil {
			t.Fatal(err)
		}
		last := res.Steps[len(res.Steps)-1]
		if res.Monitor.Status != result.StatusDown || last.Error == nil || last.Error.Type != result.ErrorAssertion {
			t.Fatalf("status %s, last step %+v", res.Monitor.Status, last)
		}
	})
	t.Run("a browser that cannot start is an error to retry", func(t *testing.T) {
		bad := NewRunner(Options{Secrets: r.opts.Secrets, ChromiumPath: "/nonexistent/chromium", Logger: r.log})
		if _, err := bad.Run(context.Background(), journey()); err == nil {
			t.Fatal("no error although the browser could not start")
		}
	})
}

type failingStore struct{}

func (failingStore) Put(context.Context, string, string, []byte) error {
	return errors.New("bucket unreachable")
}

func TestBrowserAttachments(t *testing.T) {
	needChromium(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "<title>Shop</title><h1>Shop</h1>")
	}))
	defer srv.Close()
	m := monitor.Monitor{ID: "shots", Type: monitor.TypeBrowser, Timeout: monitor.Duration(30 * time.Second), Steps: []monitor.Step{
		{Goto: srv.URL}, {Screenshot: "home page"},
	}}
	store, err := attach.Open(context.Background(), "mem://")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	r := NewRunner(Options{Attachments: store, Logger: newTestRunner(t).log})
	res, err := r.Run(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if res.Browser == nil || len(res.Browser.Attachments) != 3 || res.Browser.AttachmentError != "" {
		t.Fatalf("attachments %+v", res.Browser)
	}
	names := map[string]string{}
	for _, a := range res.Browser.Attachments {
		names[a.Name] = a.ContentType
	}
	if names["run.har"] != "application/json" || names["dom.html"] == "" {
		t.Errorf("want a screenshot, run.har and dom.html, got %v", names)
	}
	a := res.Browser.Attachments[0]
	data, ct, err := store.Get(context.Background(), a.Key)
	if err != nil || ct != "image/png" || int64(len(data)) != a.Size || a.Name != "screenshot-2-home_page.png" {
		t.Fatalf("stored %s (%s, %d bytes): %v", a.Key, ct, len(data), err)
	}
	if _, err := png.Decode(bytes.NewReader(data)); err != nil {
		t.Errorf("the screenshot is not a PNG: %v", err)
	}

	// An unreachable store loses the files, says why, and the run still counts.
	r = NewRunner(Options{Attachments: failingStore{}, Logger: newTestRunner(t).log})
	res, err = r.Run(context.Background(), m)
	if err != nil || res.Monitor.Status != result.StatusUp || !strings.Contains(res.Browser.AttachmentError, "bucket unreachable") {
		t.Fatalf("status %s, attachment error %q, err %v", res.Monitor.Status, res.Browser.AttachmentError, err)
	}
}

// TestBrowserMonitorResources: a monitor's own resources replace the
// worker's, and the result records the limits in force.
func TestBrowserMonitorResources(t *testing.T) {
	needChromium(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "<title>Shop</title><h1>Shop</h1>")
	}))
	defer srv.Close()
	m := monitor.Monitor{ID: "small", Type: monitor.TypeBrowser, Timeout: monitor.Duration(30 * time.Second),
		Resources: &monitor.Resources{CPUs: 0.5, MemoryMB: 512},
		Steps:     []monitor.Step{{Goto: srv.URL}}}
	r := NewRunner(Options{BrowserLimits: browser.Limits{CPUs: 1, MemoryBytes: 1 << 30}, Logger: newTestRunner(t).log})
	res, err := r.Run(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	l := res.Browser.Limits
	if l.Reason != "" {
		t.Skipf("no cgroup limits on this machine: %s", l.Reason)
	}
	if l.CPUs != 0.5 || l.MemoryBytes != 512<<20 {
		t.Fatalf("limits in force %+v, want the monitor's 0.5 CPU and 512 MiB", l)
	}
}
