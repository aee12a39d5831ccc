package check

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
)

// The secret has characters that every encoding changes: slash, quote,
// angle brackets, ampersand, equals, plus and space.
const echoSecret = `T0k/"en<&>=+ 9`

// echoServer sends back everything it was sent: in the body (JSON), in
// headers and, for /redirect, in the Location it redirects to.
func echoServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "/landing/"+url.PathEscape(r.URL.Query().Get("to"))+"?again="+url.QueryEscape(r.URL.Query().Get("to")), http.StatusFound)
			return
		}
		body, _ := io.ReadAll(r.Body)
		tok := r.Header.Get("X-Token")
		w.Header().Set("X-Echo", tok)
		w.Header().Set("Set-Cookie", "session="+tok)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"path": r.URL.Path, "query": r.URL.Query(), "headers": r.Header, "body": string(body),
		})
		io.WriteString(w, "raw:"+tok) // unescaped too
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSecretsNeverReachTheResult(t *testing.T) {
	srv := echoServer(t)
	r := newTestRunner(t, "VIGIL_SECRET_TOKEN="+echoSecret)
	m := httpMonitor(
		monitor.Step{
			Name: "echo",
			Request: monitor.Request{
				Method:  "POST",
				URL:     srv.URL + "/echo/${secrets.TOKEN}",
				Query:   map[string]string{"q": "${secrets.TOKEN}"},
				Headers: map[string]string{"X-Token": "${secrets.TOKEN}"},
				JSON:    map[string]any{"nested": []any{"${secrets.TOKEN}"}},
			},
			Extract: map[string]string{"echoed": `headers["x-echo"]`},
			Assert:  []string{"status == 200", `body contains "raw:"`},
		},
		monitor.Step{
			Name: "redirect",
			Request: monitor.Request{
				URL:     srv.URL + "/redirect",
				Query:   map[string]string{"to": "${vars.echoed}"},
				Headers: map[string]string{"X-Token": "${vars.echoed}"},
			},
			// Fails, so that its message quotes the values.
			Assert: []string{`headers["x-echo"] == "x" && url == "y" && body == "z"`},
		},
	)
	res := runOnce(t, r, m)
	wantStatus(t, res, result.StatusDown)
	if len(res.Steps) != 2 || res.Steps[0].Synthetics.Step.Status != result.StatusUp {
		t.Fatalf("want step 1 up and step 2 run; got %+v", res.Steps)
	}
	if res.Steps[1].Details["final_url"] == nil || res.Steps[1].Assertions[0].Message == "" {
		t.Fatalf("step 2 lacks the redirect or the failure message: %+v", res.Steps[1])
	}
	doc, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	for _, part := range []string{"T0k", "en<", `en\u003c`, "en%3C"} {
		if strings.Contains(text, part) {
			t.Errorf("result contains %q of the secret:\n%s", part, text)
		}
	}
	if !strings.Contains(text, "***") {
		t.Errorf("nothing was masked:\n%s", text)
	}
}

func TestSecretInErrorIsMasked(t *testing.T) {
	r := newTestRunner(t, "VIGIL_SECRET_HOST=secret-host.invalid")
	m := httpMonitor(get("s", "http://${secrets.HOST}:1/"))
	res := runOnce(t, r, m)
	wantStatus(t, res, result.StatusDown)
	doc, _ := json.Marshal(res)
	if strings.Contains(string(doc), "secret-host") {
		t.Errorf("result leaks the secret host:\n%s", doc)
	}
}
