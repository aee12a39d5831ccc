package agent

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-dev/vigil/agent/traffic"
	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/testserver"
)

const nginxConf = `daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log stderr crit;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path %[1]s/tmp;
  proxy_temp_path %[1]s/tmp;
  fastcgi_temp_path %[1]s/tmp;
  uwsgi_temp_path %[1]s/tmp;
  scgi_temp_path %[1]s/tmp;
  server {
    listen 127.0.0.1:%[2]d ssl%[5]s;
    ssl_certificate %[3]s;
    ssl_certificate_key %[4]s;
    root %[1]s/www;
  }
}
`

// TestTLSNginx: curl against nginx serving HTTPS (one process: no master).
// Each request is a curl client span and an nginx server span with the
// same 4-tuple. The second case attaches the probes as perf events, the
// path of kernels before 6.6, with the agent limited to nginx's pid. The
// third speaks HTTP/2 (ALPN h2): the OpenSSL plaintext is parsed as HTTP/2,
// HPACK included, one span per stream.
func TestTLSNginx(t *testing.T) {
	nginx := lookPathOrSkip(t, "nginx")
	curl := lookPathOrSkip(t, "curl")
	cases := []struct {
		name     string
		perfOnly bool
		h2       bool
		kinds    []string
	}{
		{"uprobe_multi links, every process", false, false, []string{span.KindClient, span.KindServer}},
		{"perf event uprobes, nginx's pid only", true, false, []string{span.KindServer}},
		{"HTTP/2 over TLS", false, true, []string{span.KindClient, span.KindServer}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			port, pid := startNginx(t, nginx, tc.h2)
			version, curlArgs := "1.1", []string{"--http1.1"}
			if tc.h2 {
				version, curlArgs = "2", []string{"--http2"}
			}
			uprobePerfOnly = tc.perfOnly
			defer func() { uprobePerfOnly = false }()
			a := startAgent(t, func(c *config.Agent) {
				c.Ports = []int{port}
				if tc.perfOnly {
					c.PIDs = []int{pid}
				}
			})
			requests := []struct {
				path   string
				status int
				body   int64
			}{
				{"/page.txt", 200, 3000},
				{"/missing", 404, -1}, // nginx's error page
			}
			clientPort := map[string]int{}
			for _, r := range requests {
				clientPort[r.path] = curlHTTPS(t, curl, "https://127.0.0.1:"+strconv.Itoa(port)+r.path, r.status, curlArgs...)
			}
			want := len(requests) * len(tc.kinds)
			a.waitSpans(t, want, func(*span.Span) bool { return true })
			spans := a.stop(t)
			if len(spans) != want {
				t.Fatalf("got %d spans, want %d (%v per request)", len(spans), want, tc.kinds)
			}
			got := map[string]bool{}
			for _, s := range spans {
				service := map[string]string{span.KindClient: "curl", span.KindServer: "nginx"}[s.Span.Kind]
				for _, r := range requests {
					if s.HTTP.Request.Path != r.path {
						continue
					}
					got[s.Span.Kind+" "+r.path] = true
					if s.Service.Name != service || s.HTTP.Version != version || s.HTTP.Request.Method != "GET" || s.HTTP.Response.StatusCode != r.status ||
						(r.body >= 0 && s.HTTP.Response.BodyBytes != r.body) || s.Vigil.Incomplete {
						t.Errorf("%s span %s of %s: HTTP/%s status %d body %d incomplete %v (%s), want %s HTTP/%s status %d body %d", s.Span.Kind, r.path,
							s.Service.Name, s.HTTP.Version, s.HTTP.Response.StatusCode, s.HTTP.Response.BodyBytes, s.Vigil.Incomplete, s.Vigil.Reason, service, version, r.status, r.body)
					}
					if s.Source.Port != clientPort[r.path] || s.Destination.Port != port || s.Source.IP != "127.0.0.1" || s.Destination.IP != "127.0.0.1" {
						t.Errorf("%s span %s: %+v -> %+v, want 127.0.0.1:%d -> 127.0.0.1:%d", s.Span.Kind, r.path, s.Source, s.Destination, clientPort[r.path], port)
					}
				}
			}
			for _, r := range requests {
				for _, k := range tc.kinds {
					if !got[k+" "+r.path] {
						t.Errorf("no %s span of %s", k, r.path)
					}
				}
			}
		})
	}
}

// startNginx runs nginx on a free loopback port with a fresh certificate
// and a 3000-byte /page.txt, offering HTTP/2 when h2; it returns the port
// and nginx's pid.
func startNginx(t *testing.T, nginx string, h2 bool) (port, pid int) {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"www", "tmp"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "www", "page.txt"), []byte(strings.Repeat("x", 3000)), 0o644); err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, err := traffic.WriteSelfSigned(dir)
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "nginx.conf")
	listenOpts := ""
	if h2 {
		listenOpts = " http2"
	}
	s := testserver.ForTest(t, func() (*testserver.Server, error) {
		return testserver.Listening("nginx", func(port int) *exec.Cmd {
			if err := os.WriteFile(conf, fmt.Appendf(nil, nginxConf, dir, port, certFile, keyFile, listenOpts), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(nginx, "-p", dir, "-c", conf)
			cmd.Stderr = os.Stderr
			return cmd
		})
	})
	return s.Port, s.PID
}
