package monitor

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func ptr[T any](v T) *T { return &v }

func dur(d time.Duration) Duration { return Duration(d) }

func TestParseFileValid(t *testing.T) {
	tests := []struct {
		file string
		want Monitor
	}{
		{"valid/http.yaml", Monitor{
			ID:        "shop-api",
			Name:      "Shop API login and items",
			Type:      TypeHTTP,
			Schedule:  Schedule{Every: dur(30 * time.Second)},
			Timeout:   dur(10 * time.Second),
			Retries:   2,
			Confirm:   ptr(1),
			Locations: []string{"local"},
			Tags:      []string{"api", "shop"},
			Steps: []Step{
				{
					Name: "login",
					Request: Request{
						Method: "POST",
						URL:    "http://127.0.0.1:8081/api/login",
						JSON:   map[string]any{"user": "demo", "password": "${secrets.DEMO_PASSWORD}"},
					},
					Extract: map[string]string{"token": "json.token"},
					Assert:  []string{"status == 200"},
				},
				{
					Name: "items",
					Request: Request{
						URL:     "http://127.0.0.1:8081/api/items",
						Headers: map[string]string{"Authorization": "Bearer ${vars.token}"},
					},
					Assert: []string{`status == 200 && json.items[0].price < 100 && timings.total < duration("500ms")`},
				},
			},
			Source: Source{File: "valid/http.yaml", Line: 2},
		}},
		{"valid/tcp.yaml", Monitor{
			ID:       "redis",
			Type:     TypeTCP,
			Schedule: Schedule{Cron: "*/5 * * * *"},
			TCP:      &TCPCheck{Host: "127.0.0.1", Port: 6379, Send: "PING\r\n", Expect: "+PONG"},
			Assert:   []string{`connected && reply contains "PONG"`},
			Source:   Source{File: "valid/tcp.yaml", Line: 1},
		}},
		{"valid/dns.yaml", Monitor{
			ID:       "internal-dns",
			Type:     TypeDNS,
			Schedule: Schedule{Every: dur(time.Minute)},
			DNS:      &DNSCheck{Name: "example.internal", Type: "A", Server: "127.0.0.1:5353"},
			Assert:   []string{`rcode == "NOERROR"`, "count > 0"},
			Source:   Source{File: "valid/dns.yaml", Line: 1},
		}},
		{"valid/tls.yaml", Monitor{
			ID:       "tls.cert",
			Type:     TypeTLS,
			Schedule: Schedule{Every: dur(90 * time.Minute)},
			Labels:   map[string]string{"team": "infra"},
			Paused:   true,
			TLS:      &TLSCheck{Host: "127.0.0.1", Port: 8443, MinValidFor: dur(168 * time.Hour)},
			Assert:   []string{`expires_in > duration("72h")`},
			Source:   Source{File: "valid/tls.yaml", Line: 1},
		}},
		{"valid/merge.yaml", Monitor{
			ID:       "merged",
			Type:     TypeHTTP,
			Schedule: Schedule{Every: dur(30 * time.Second)},
			Steps: []Step{
				{Name: "a", Request: Request{
					URL:     "http://127.0.0.1/a",
					Headers: map[string]string{"Accept": "application/json"},
					Query:   map[string]string{"page": "1"},
				}},
				{Name: "b", Request: Request{
					URL:             "http://127.0.0.1/b",
					Headers:         map[string]string{"Accept": "application/json"},
					Query:           map[string]string{"page": "1"},
					FollowRedirects: ptr(false),
					MaxRedirects:    3,
					JSON: map[string]any{
						"ids":    []any{uint64(1), uint64(2)},
						"nested": map[string]any{"ok": true, "note": nil},
					},
				}},
			},
			Source: Source{File: "valid/merge.yaml", Line: 2},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, errs := ParseFile(tt.file, readTestdata(t, tt.file))
			if len(errs) > 0 {
				t.Fatalf("unexpected errors: %v", errs)
			}
			if len(got) != 1 {
				t.Fatalf("got %d monitors, want 1", len(got))
			}
			if !reflect.DeepEqual(got[0], tt.want) {
				t.Errorf("monitor mismatch\n got: %s\nwant: %s", asJSON(t, got[0]), asJSON(t, tt.want))
			}
		})
	}
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseFileMultiDocument(t *testing.T) {
	tests := []struct {
		file     string
		wantIDs  []string
		wantLine []int
		wantErrs []string // "line:col" of each error
	}{
		{"multi/invalid_doc.yaml", []string{"first", "third"}, []int{2, 13}, []string{"10:24"}},
		{"multi/syntax_error.yaml", []string{"before", "after"}, []int{1, 10}, []string{"8:7"}},
		{"multi/empty_docs.yaml", []string{"only"}, []int{5}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, errs := ParseFile(tt.file, readTestdata(t, tt.file))
			var ids []string
			var lines []int
			for _, m := range got {
				ids = append(ids, m.ID)
				lines = append(lines, m.Source.Line)
				if m.Source.File != tt.file {
					t.Errorf("Source.File = %q, want %q", m.Source.File, tt.file)
				}
			}
			if !reflect.DeepEqual(ids, tt.wantIDs) || !reflect.DeepEqual(lines, tt.wantLine) {
				t.Errorf("got ids %v at lines %v, want %v at %v", ids, lines, tt.wantIDs, tt.wantLine)
			}
			var at []string
			for _, e := range errs {
				at = append(at, lineCol(e))
			}
			if !reflect.DeepEqual(at, tt.wantErrs) {
				t.Errorf("errors at %v, want %v: %v", at, tt.wantErrs, errs)
			}
		})
	}
}

func TestParseFileEmpty(t *testing.T) {
	for _, data := range []string{"", "\n", "# only a comment\n", "---\n"} {
		got, errs := ParseFile("empty.yaml", []byte(data))
		if len(got) != 0 || len(errs) != 0 {
			t.Errorf("%q: got %v, %v; want nothing", data, got, errs)
		}
	}
}

func TestParseFileTooLarge(t *testing.T) {
	data := make([]byte, MaxFileSize+1)
	_, errs := ParseFile("big.yaml", data)
	if len(errs) != 1 || errs[0].Line != 0 {
		t.Fatalf("got %v, want one error at line 0", errs)
	}
}

// TestParseFileAliasBomb checks that nested aliases are cut off by the node
// budget instead of expanding exponentially.
func TestParseFileAliasBomb(t *testing.T) {
	data := []byte(`id: bomb
type: http
schedule: {every: 30s}
steps:
  - request:
      url: http://127.0.0.1/
      json:
        a: &a [x, x, x, x, x, x, x, x, x, x]
        b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
        c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
        d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
        e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
        f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
        g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
`)
	start := time.Now()
	got, errs := ParseFile("bomb.yaml", data)
	if len(got) != 0 || len(errs) == 0 {
		t.Fatalf("got %d monitors and %v, want an error", len(got), errs)
	}
	if !containsAll(errs[0].Message, "more than") {
		t.Errorf("message %q does not mention the limit", errs[0].Message)
	}
	t.Logf("rejected in %v", time.Since(start))
}

func TestParseFileCRLF(t *testing.T) {
	data := []byte("id: crlf\r\ntype: tcp\r\nschedule: {every: 30s}\r\ntcp: {host: localhost, port: 22}\r\n---\r\nid: second\r\ntype: tcp\r\nschedule: {every: 30s}\r\ntcp: {host: localhost, port: 23}\r\n")
	got, errs := ParseFile("crlf.yaml", data)
	if len(errs) != 0 || len(got) != 2 || got[1].Source.Line != 6 {
		t.Fatalf("got %+v, %v; want 2 monitors, the second at line 6", got, errs)
	}
}

// TestParseFileLimits: inputs whose parsing cost grows faster than their
// size are cut off early, at a position.
func TestParseFileLimits(t *testing.T) {
	httpWithBody := func(body string) string {
		return "id: x\ntype: http\nschedule: {every: 1s}\nsteps:\n- request:\n    url: http://x/\n    json: " + body + "\n"
	}
	tests := []struct {
		name     string
		data     string
		monitors int
		firstErr string // "line:col", "" for no error
	}{
		{"64 levels", httpWithBody(strings.Repeat("[", 64) + strings.Repeat("]", 64)), 1, ""},
		{"65 levels", httpWithBody(strings.Repeat("[", 65) + strings.Repeat("]", 65)), 0, "7:75"},
		{"very deep", strings.Repeat("[", 100000) + strings.Repeat("]", 100000), 0, "1:65"},
		{"many documents", manyDocuments(MaxDocuments + 1), MaxDocuments, fmt.Sprintf("%d:1", 5*MaxDocuments+2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := ParseFile("f.yaml", []byte(tt.data))
			if len(got) != tt.monitors {
				t.Errorf("got %d monitors, want %d", len(got), tt.monitors)
			}
			first := ""
			if len(errs) > 0 {
				first = lineCol(errs[0])
			}
			if first != tt.firstErr {
				t.Errorf("first error at %q, want %q: %v", first, tt.firstErr, errs)
			}
		})
	}
}

// manyDocuments writes n tcp monitors of 5 lines each, "---" included.
func manyDocuments(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("---\n" + tcpMonitor(fmt.Sprintf("m%d", i)))
	}
	return b.String()
}

func TestParseBrowserJourney(t *testing.T) {
	ms, errs := ParseFile("valid/browser.yaml", readTestdata(t, "valid/browser.yaml"))
	if len(errs) > 0 {
		t.Fatalf("valid journey rejected: %v", errs)
	}
	m := ms[0]
	var acts []string
	for i := range m.Steps {
		a := m.Steps[i].browserAction()
		if len(a) != 1 {
			t.Fatalf("step %d has actions %v", i, a)
		}
		acts = append(acts, a[0])
	}
	want := "viewport header cookie goto wait_for type type click wait_for select hover press eval assert wait_for screenshot"
	if got := strings.Join(acts, " "); got != want {
		t.Errorf("actions\n got %s\nwant %s", got, want)
	}
	if m.Steps[6].Type.Value != "${secrets.DEMO_PASSWORD}" || m.Steps[12].Eval.Name != "items" || len(m.Steps[13].Assert) != 4 {
		t.Errorf("step fields not decoded: %+v %+v", m.Steps[6].Type, m.Steps[12].Eval)
	}
}

func TestResourcesValidation(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"browser ok", "resources: {cpus: 0.5, memory_mb: 512}", ""},
		{"cpus too high", "resources: {cpus: 32}", "resources.cpus must be between 0.1 and 16, got 32"},
		{"memory too low", "resources: {memory_mb: 64}", "resources.memory_mb must be between 128 and 65536 (MiB), got 64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := "id: b\ntype: browser\nschedule: {every: 5m}\n" + tc.yaml + "\nsteps:\n  - goto: https://example.com/\n"
			_, errs := ParseFile("b.yaml", []byte(doc))
			if tc.want == "" {
				if len(errs) > 0 {
					t.Fatalf("unexpected errors: %v", errs)
				}
				return
			}
			if len(errs) != 1 || !strings.Contains(errs[0].Message, tc.want) {
				t.Fatalf("errors %v, want %q", errs, tc.want)
			}
		})
	}
	_, errs := ParseFile("h.yaml", []byte("id: h\ntype: http\nschedule: {every: 1m}\nresources: {cpus: 1}\nsteps:\n  - request: {url: \"https://example.com/\"}\n"))
	if len(errs) != 1 || !strings.Contains(errs[0].Message, "resources apply to browser monitors only") {
		t.Fatalf("http monitor with resources: %v", errs)
	}
}
