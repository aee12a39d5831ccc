package agent

import (
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/testserver"
)

// TestCurlAgainstPython traces two programs the agent knows nothing about:
// curl (send/recv) against Python's http.server (HTTP/1.0, one connection
// per request, closed by the server).
func TestCurlAgainstPython(t *testing.T) {
	needBPF(t)
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("needs python3 (apt-get install python3)")
	}
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("needs curl (apt-get install curl)")
	}
	dir := t.TempDir()
	body := strings.Repeat("vigil ", 500) // 3000 bytes: larger than the capture
	if err := os.WriteFile(filepath.Join(dir, "page.txt"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	port := testserver.ForTest(t, func() (*testserver.Server, error) {
		return testserver.Listening("python3 -m http.server", func(port int) *exec.Cmd {
			return exec.Command(python, "-m", "http.server", "--bind", "127.0.0.1", "--directory", dir, strconv.Itoa(port))
		})
	}).Port
	a := startAgent(t, func(c *config.Agent) { c.Ports = []int{port} })

	const n = 5
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	var curlStart, curlEnd []time.Time
	for i := 0; i < n; i++ {
		path := "/page.txt"
		if i == n-1 {
			path = "/missing"
		}
		start := time.Now()
		out, err := exec.Command(curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", url+path).Output()
		curlEnd, curlStart = append(curlEnd, time.Now()), append(curlStart, start)
		if err != nil {
			t.Fatalf("curl: %v", err)
		}
		if want := map[bool]string{true: "404", false: "200"}[i == n-1]; string(out) != want {
			t.Fatalf("curl got status %s, want %s", out, want)
		}
	}
	servers := a.waitSpans(t, n, func(s *span.Span) bool { return s.Span.Kind == span.KindServer })
	clients := a.waitSpans(t, n, func(s *span.Span) bool { return s.Span.Kind == span.KindClient })
	a.stop(t)
	for name, spans := range map[string][]span.Span{"python": servers, "curl": clients} {
		if len(spans) != n {
			t.Fatalf("%s: got %d spans, want %d", name, len(spans), n)
		}
		for _, s := range spans {
			wantStatus, wantBody := 200, int64(len(body))
			if s.HTTP.Request.Path == "/missing" {
				wantStatus, wantBody = 404, -1
			}
			if s.HTTP.Request.Method != "GET" || s.HTTP.Response.StatusCode != wantStatus || (wantBody >= 0 && s.HTTP.Response.BodyBytes != wantBody) {
				t.Errorf("%s span %s status %d body %d, want status %d body %d", name, s.Span.Name, s.HTTP.Response.StatusCode, s.HTTP.Response.BodyBytes, wantStatus, wantBody)
			}
			if s.Vigil.Incomplete {
				t.Errorf("%s span %s incomplete: %s", name, s.Span.Name, s.Vigil.Reason)
			}
			inside := false
			for i := range curlStart {
				if !s.Timestamp.Before(curlStart[i]) && !s.End().After(curlEnd[i]) {
					inside = true
				}
			}
			if !inside {
				t.Errorf("%s span %s at %s (%dµs) is outside every curl run", name, s.Span.Name, s.Timestamp.Format(time.StampMicro), s.Span.Duration.US)
			}
		}
	}
	if clients[0].Service.Name != "curl" || !strings.HasPrefix(servers[0].Service.Name, "python") {
		t.Errorf("services %q and %q, want curl and python*", clients[0].Service.Name, servers[0].Service.Name)
	}
}

// TestPipelining sends three requests in one write; the Go server answers
// them in order on the same connection.
func TestPipelining(t *testing.T) {
	srv := startServer(t)
	a := startAgent(t, func(c *config.Agent) { c.Ports = []int{srv.port()} })
	conn, err := net.Dial("tcp", srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	reqs := "GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /status?code=404 HTTP/1.1\r\nHost: x\r\n\r\nGET /bytes?n=10 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
	if _, err := conn.Write([]byte(reqs)); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, _ := io.ReadAll(conn)
	if got := strings.Count(string(resp), "HTTP/1.1 "); got != 3 {
		t.Fatalf("the server sent %d responses: %q", got, resp)
	}
	spans := a.waitSpans(t, 3, func(s *span.Span) bool { return s.Span.Kind == span.KindServer })
	a.stop(t)
	sort.Slice(spans, func(i, j int) bool { return spans[i].Timestamp.Before(spans[j].Timestamp) || spans[i].ID < spans[j].ID })
	want := []string{"/hello 200 17", "/status?code=404 404 0", "/bytes?n=10 200 10"}
	if len(spans) != 3 {
		t.Fatalf("got %d spans, want 3", len(spans))
	}
	got := map[string]bool{}
	for _, s := range spans {
		got[s.HTTP.Request.Path+" "+strconv.Itoa(s.HTTP.Response.StatusCode)+" "+strconv.FormatInt(s.HTTP.Response.BodyBytes, 10)] = true
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("no span %q among %v", w, got)
		}
	}
}

// TestIPv6Loopback: the 4-tuple of an IPv6 connection is read from the
// socket's v6 fields.
func TestIPv6Loopback(t *testing.T) {
	needBPF(t)
	if ln, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	} else {
		ln.Close()
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("needs python3")
	}
	dir := t.TempDir()
	port := testserver.ForTest(t, func() (*testserver.Server, error) {
		return testserver.Listening("python3 -m http.server", func(port int) *exec.Cmd {
			return exec.Command(python, "-m", "http.server", "--bind", "::1", "--directory", dir, strconv.Itoa(port))
		})
	}).Port
	a := startAgent(t, func(c *config.Agent) { c.Ports = []int{port} })
	out, err := exec.Command("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://[::1]:"+strconv.Itoa(port)+"/").Output()
	if err != nil || string(out) != "200" {
		t.Fatalf("curl: %v %s", err, out)
	}
	got := a.waitSpans(t, 1, func(s *span.Span) bool { return s.Span.Kind == span.KindServer })
	a.stop(t)
	if len(got) != 1 {
		t.Fatalf("got %d server spans, want 1", len(got))
	}
	s := got[0]
	if s.Destination.IP != "::1" || s.Destination.Port != port || s.Source.IP != "::1" || s.Source.Port == 0 {
		t.Errorf("addresses %+v -> %+v, want [::1]:ephemeral -> [::1]:%d", s.Source, s.Destination, port)
	}
}
