package workers_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/browser"
	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/gittest"
	"github.com/vigil-dev/vigil/internal/store"
)

// TestBrowserJourneyRunsOnTheBrowserQueue: a browser monitor synced from
// git is scheduled, runs on vigil-browsers-local in a real Chromium, and its
// result (steps, vitals) is stored without the secret it typed.
func TestBrowserJourneyRunsOnTheBrowserQueue(t *testing.T) {
	if browser.DefaultChromiumPath() == "" {
		t.Skip("needs Debian's chromium (make test installs it)")
	}
	e := newEnv(t, envOptions{secrets: map[string]string{"SHOP_PASSWORD": secretValue}})
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, `<!doctype html><title>Shop</title><h1>Shop</h1>
<input id="password" type="password"><button id="go" onclick="document.title='Welcome'">Go</button>`)
	}))
	t.Cleanup(page.Close)
	repo := gittest.NewRepo(t)
	repo.WriteFile("journey.yaml", `id: shop-journey
type: browser
schedule: {every: 1h}
timeout: 45s
steps:
  - goto: "`+page.URL+`/"
  - type: {selector: "#password", value: "${secrets.SHOP_PASSWORD}"}
  - click: "#go"
  - assert: ['title == "Welcome"']
`)
	repo.Commit("browser journey")
	e.sync(repo.FileURL())

	run := e.trigger("shop-journey")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out contract.MonitorRunOutput
	if err := run.Get(ctx, &out); err != nil {
		t.Fatalf("run failed: %v", err)
	}
	if out.Status != "up" {
		t.Fatalf("run output: %+v (logs: %s)", out, e.logs.String())
	}
	results, err := e.store.ListResults(ctx, store.ResultQuery{MonitorID: "shop-journey"})
	if err != nil || len(results) != 1 {
		t.Fatalf("stored results: %d (%v)", len(results), err)
	}
	r := results[0]
	if len(r.Steps) != 4 || r.Browser == nil || r.Browser.Experience.TTFB <= 0 {
		t.Fatalf("result steps %d, browser %+v", len(r.Steps), r.Browser)
	}
	doc, _ := json.Marshal(r)
	if strings.Contains(string(doc), secretValue) || strings.Contains(historyJSON(t, e, run.GetID(), run.GetRunID()), secretValue) {
		t.Fatal("the typed secret reached the result or the history")
	}
	if !strings.Contains(historyJSON(t, e, run.GetID(), run.GetRunID()), contract.BrowserTaskQueue("local")) {
		t.Error("the check did not run on the browser task queue")
	}
}
