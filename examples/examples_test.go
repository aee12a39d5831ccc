// Package examples_test keeps the example monitors valid and in step with
// the demo app they watch.
package examples_test

import (
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	demoapp "github.com/vigil-dev/vigil/examples/demo-app"
	"github.com/vigil-dev/vigil/internal/alert"
	"github.com/vigil-dev/vigil/internal/browser"
	"github.com/vigil-dev/vigil/internal/check"
	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/secrets"
)

func TestExampleMonitorsAreValid(t *testing.T) {
	monitors, errs := monitor.LoadDir("monitors")
	for _, err := range errs {
		t.Errorf("%v", err)
	}
	want := []string{"demo-api", "demo-browser-checkout", "demo-browser-login", "demo-flaky", "demo-home", "demo-slow", "demo-tcp"}
	var got []string
	for _, m := range monitors {
		got = append(got, m.ID)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("monitors %v, want %v", got, want)
	}
}

func TestExampleMonitorsWatchTheDemoApp(t *testing.T) {
	monitors, _ := monitor.LoadDir("monitors")
	for _, m := range monitors {
		for _, s := range m.Steps {
			url := s.Request.URL
			if m.Type == monitor.TypeBrowser {
				if s.Goto == "" {
					continue
				}
				url = s.Goto
			}
			if !strings.HasPrefix(url, "http://"+demoapp.DefaultAddr+"/") {
				t.Errorf("%s: step %s requests %s, not the demo app", m.ID, s.Name, url)
			}
		}
	}
}

func TestDemoSecretMatchesTheDemoApp(t *testing.T) {
	data, err := os.ReadFile("secrets.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "\nDEMO_PASSWORD: "+demoapp.DefaultPassword+"\n") {
		t.Fatalf("secrets.yaml does not set DEMO_PASSWORD to %q", demoapp.DefaultPassword)
	}
}

// TestExampleMonitorsPassAgainstTheDemoApp runs every example monitor once
// against a demo app on a free port with the chaos turned off, and once
// against one that is always slow, always failing and has another password,
// to see that the monitors notice.
func TestExampleMonitorsPassAgainstTheDemoApp(t *testing.T) {
	healthy := demoapp.Options{SlowProbability: -1, FailProbability: -1}
	for _, m := range demoMonitors(t, startDemo(t, healthy)) {
		if m.Type == monitor.TypeBrowser && browser.DefaultChromiumPath() == "" {
			t.Logf("%s not run: needs Debian's chromium (make test installs it)", m.ID)
			continue
		}
		if res := runMonitor(t, m); res.Monitor.Status != "up" {
			t.Errorf("%s is %s: %+v", m.ID, res.Monitor.Status, res.Steps)
		}
	}

	broken := demoapp.Options{SlowProbability: 1, SlowDelay: 1500 * time.Millisecond, FailProbability: 1, Password: "changed"}
	for _, m := range demoMonitors(t, startDemo(t, broken)) {
		if m.ID == "demo-home" || m.ID == "demo-tcp" || (m.Type == monitor.TypeBrowser && browser.DefaultChromiumPath() == "") {
			continue
		}
		if res := runMonitor(t, m); res.Monitor.Status != "down" {
			t.Errorf("%s is %s with a broken demo app", m.ID, res.Monitor.Status)
		}
	}
}

func startDemo(t *testing.T, opts demoapp.Options) string {
	t.Helper()
	opts.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	addr, stop, err := demoapp.Start(t.Context(), "127.0.0.1:0", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return addr
}

// demoMonitors loads the examples and points them at addr instead of the
// default address.
func demoMonitors(t *testing.T, addr string) []monitor.Monitor {
	t.Helper()
	monitors, errs := monitor.LoadDir("monitors")
	if len(errs) > 0 {
		t.Fatalf("loading monitors: %v", errs)
	}
	_, port, _ := net.SplitHostPort(addr)
	for i := range monitors {
		m := &monitors[i]
		for j := range m.Steps {
			m.Steps[j].Request.URL = strings.Replace(m.Steps[j].Request.URL, demoapp.DefaultAddr, addr, 1)
			m.Steps[j].Goto = strings.Replace(m.Steps[j].Goto, demoapp.DefaultAddr, addr, 1)
		}
		if m.TCP != nil {
			m.TCP.Port, _ = strconv.Atoi(port)
		}
	}
	return monitors
}

func runMonitor(t *testing.T, m monitor.Monitor) result.Result {
	t.Helper()
	src, err := secrets.FromFile("secrets.yaml")
	if err != nil {
		t.Fatal(err)
	}
	runner := check.NewRunner(check.Options{Secrets: src, Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	res, err := runner.Run(t.Context(), m)
	if err != nil {
		t.Fatalf("running %s: %v", m.ID, err)
	}
	return res
}

func TestExampleAlertRulesAreValid(t *testing.T) {
	monitors, _ := monitor.LoadDir("monitors")
	set, errs := alert.LoadDir("monitors")
	errs = append(errs, alert.ValidateAgainst(set, monitors)...)
	for _, err := range errs {
		t.Errorf("%v", err)
	}
	if len(set.Rules) != 5 || len(set.Channels) != 1 {
		t.Fatalf("%d rules and %d channels, want 5 and 1", len(set.Rules), len(set.Channels))
	}
	data, err := os.ReadFile("secrets.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "\nDEMO_WEBHOOK_SECRET: "+demoapp.DefaultWebhookSecret+"\n") {
		t.Fatalf("secrets.yaml does not set DEMO_WEBHOOK_SECRET to %q", demoapp.DefaultWebhookSecret)
	}
}
