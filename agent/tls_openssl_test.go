package agent

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/agent/traffic"
	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/span"
)

// pythonHTTPSServer serves a directory over TLS with Python's http.server
// (HTTP/1.0, one connection per request) and prints its port.
const pythonHTTPSServer = `
import functools, http.server, ssl, sys
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
srv = http.server.HTTPServer(("127.0.0.1", 0), functools.partial(H, directory=sys.argv[1]))
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print(srv.server_address[1], flush=True)
srv.serve_forever()
`

// startPrintingPort starts a server that binds a free port and prints it
// on its first line (the Python scripts here), and returns the port.
func startPrintingPort(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	line := startReadingLine(t, cmd)
	port, err := strconv.Atoi(line)
	if err != nil {
		t.Fatalf("%s printed %q, not a port", cmd.Path, line)
	}
	return port
}

// TestTLSOpenSSLBothEnds: curl against Python's http.server over TLS:
// OpenSSL on both ends, so each request is a client span (curl) and a
// server span (python3) with the reversed 4-tuple, as over plain HTTP.
func TestTLSOpenSSLBothEnds(t *testing.T) {
	python := lookPathOrSkip(t, "python3")
	curl := lookPathOrSkip(t, "curl")
	dir := t.TempDir()
	body := strings.Repeat("vigil ", 500)
	if err := os.WriteFile(filepath.Join(dir, "page.txt"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, err := traffic.WriteSelfSigned(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	port := startPrintingPort(t, exec.Command(python, "-c", pythonHTTPSServer, dir, certFile, keyFile))
	a := startAgent(t, func(c *config.Agent) { c.Ports = []int{port} })

	requests := []struct {
		path   string
		status int
		body   int64 // -1: not checked (python's error page)
	}{
		{"/page.txt", 200, int64(len(body))},
		{"/missing", 404, -1},
	}
	clientPort := map[string]int{}
	for _, r := range requests {
		clientPort[r.path] = curlHTTPS(t, curl, "https://127.0.0.1:"+strconv.Itoa(port)+r.path, r.status)
	}
	a.waitSpans(t, 2*len(requests), func(*span.Span) bool { return true })
	spans := a.stop(t)
	if len(spans) != 2*len(requests) {
		t.Fatalf("got %d spans, want %d (a client and a server span per request)", len(spans), 2*len(requests))
	}
	for _, s := range spans {
		service, kind := "curl", span.KindClient
		if s.Destination.Port == port && s.Service.Name != "curl" {
			service, kind = "python3", span.KindServer
		}
		var want *struct {
			path   string
			status int
			body   int64
		}
		for i := range requests {
			if s.HTTP != nil && s.HTTP.Request.Path == requests[i].path {
				want = &requests[i]
			}
		}
		if want == nil {
			t.Errorf("unexpected span %s %s", s.Span.Kind, s.Span.Name)
			continue
		}
		if s.Span.Kind != kind || !strings.HasPrefix(s.Service.Name, service) || s.HTTP.Request.Method != "GET" ||
			s.HTTP.Response.StatusCode != want.status || (want.body >= 0 && s.HTTP.Response.BodyBytes != want.body) || s.Vigil.Incomplete {
			t.Errorf("span %s %s of %s: status %d body %d incomplete %v, want %s of %s status %d body %d",
				s.Span.Kind, s.Span.Name, s.Service.Name, s.HTTP.Response.StatusCode, s.HTTP.Response.BodyBytes, s.Vigil.Incomplete, kind, service, want.status, want.body)
		}
		if s.Source.IP != "127.0.0.1" || s.Source.Port != clientPort[want.path] || s.Destination.IP != "127.0.0.1" || s.Destination.Port != port {
			t.Errorf("span %s %s: %+v -> %+v, want 127.0.0.1:%d -> 127.0.0.1:%d", s.Span.Kind, s.Span.Name, s.Source, s.Destination, clientPort[want.path], port)
		}
	}
	if got := counterWith(t, a.reg, "vigil_agent_tls_connections_total", "capture", "plaintext"); got != float64(2*len(requests)) {
		t.Errorf("%v connections followed in plaintext, want %d (both ends)", got, 2*len(requests))
	}
}

// copyLibSSL copies the system's libssl into a directory of its own and
// returns that directory, for LD_LIBRARY_PATH: a file no probe is on yet.
func copyLibSSL(t *testing.T) string {
	t.Helper()
	libs := systemLibSSL("/")
	if len(libs) == 0 {
		t.Skip("no system libssl to copy")
	}
	lib, err := filepath.EvalSymlinks(libs[len(libs)-1])
	if err != nil {
		t.Fatal(err)
	}
	libDir := t.TempDir()
	data, err := os.ReadFile(lib)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(libDir, filepath.Base(lib)), data, 0o755); err != nil {
		t.Fatal(err)
	}
	return libDir
}

// pythonWithLib starts pythonHTTPS after prelude (which reads stdin as it
// needs), with libDir first on the library path, for tlsRequests against
// srv; it returns the process, its stdin and its stdout.
func pythonWithLib(t *testing.T, python, libDir, prelude string, srv *server) (*exec.Cmd, io.Writer, *bufio.Reader) {
	t.Helper()
	var paths []string
	for _, r := range tlsRequests {
		paths = append(paths, r.path)
	}
	cmd := exec.Command(python, "-c", prelude+pythonHTTPS, "https://"+srv.addr, strings.Join(paths, ","))
	cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+libDir)
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, stdin, bufio.NewReader(stdout)
}

// waitLibraryProbed waits until more than before OpenSSL libraries are
// probed, at most limit after since, and says how long it took.
func waitLibraryProbed(t *testing.T, a *running, before float64, since time.Time, limit time.Duration, what string) {
	t.Helper()
	for counterWith(t, a.reg, "vigil_agent_tls_libraries", "kind", "openssl") <= before {
		if time.Since(since) > limit {
			t.Fatalf("%s was not probed within %s", what, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("%s was probed %v after", what, time.Since(since).Round(time.Millisecond))
}

// finishPython lets the client make its requests and checks their spans.
func finishPython(t *testing.T, cmd *exec.Cmd, stdin io.Writer, stdout *bufio.Reader, a *running, srv *server) {
	t.Helper()
	if _, err := io.WriteString(stdin, "go\n"); err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(stdout)
	if err != nil || cmd.Wait() != nil {
		t.Fatalf("python: %v %s", err, out)
	}
	checkTLSSpans(t, a, srv, "python3", checkPythonOutput(t, out))
}

// TestTLSLibraryLoadedLater: a process that maps its libssl long after its
// start (Python imports ssl when first needed) is found by the periodic
// rescan, which reads a process's maps again only when its virtual size or
// start time changed (tlsscan.go): loading the library changes it.
func TestTLSLibraryLoadedLater(t *testing.T) {
	python := lookPathOrSkip(t, "python3")
	libDir := copyLibSSL(t)
	saved := tlsRescanEvery
	tlsRescanEvery = 300 * time.Millisecond
	t.Cleanup(func() { tlsRescanEvery = saved })
	srv := startServerKind(t, "tls-server")
	a := startAgent(t, func(c *config.Agent) { c.Ports = []int{srv.port()} })
	before := counterWith(t, a.reg, "vigil_agent_tls_libraries", "kind", "openssl")
	// The client waits for a line, imports ssl (mapping the copy), says so,
	// and waits for another before its requests.
	cmd, stdin, stdout := pythonWithLib(t, python, libDir,
		"import sys\nsys.stdin.readline()\nimport ssl\nprint('loaded', flush=True)\nsys.stdin.readline()\n", srv)
	// Past the scans its exec triggers (up to 1 s), and several rescans
	// that find its maps unchanged.
	time.Sleep(1500 * time.Millisecond)
	if got := counterWith(t, a.reg, "vigil_agent_tls_libraries", "kind", "openssl"); got != before {
		t.Fatalf("%v libraries probed before the process loaded one, want %v", got, before)
	}
	if _, err := io.WriteString(stdin, "load\n"); err != nil {
		t.Fatal(err)
	}
	if line, err := stdout.ReadString('\n'); err != nil || line != "loaded\n" {
		t.Fatalf("python: %q %v", line, err)
	}
	waitLibraryProbed(t, a, before, time.Now(), 3*time.Second, "the libssl loaded later")
	finishPython(t, cmd, stdin, stdout, a, srv)
}

// TestTLSLibraryOfLaterProcess: a process started after the agent that
// maps its own copy of libssl (not the system's, probed at start) gets
// the uprobes from the scan its exec triggers, before its first request.
func TestTLSLibraryOfLaterProcess(t *testing.T) {
	python := lookPathOrSkip(t, "python3")
	libDir := copyLibSSL(t)
	srv := startServerKind(t, "tls-server")
	a := startAgent(t, func(c *config.Agent) { c.Ports = []int{srv.port()} })
	before := counterWith(t, a.reg, "vigil_agent_tls_libraries", "kind", "openssl")
	// The client imports ssl (mapping the copy), then waits for a line.
	started := time.Now()
	cmd, stdin, stdout := pythonWithLib(t, python, libDir, "import ssl, sys\nsys.stdin.readline()\n", srv)
	// Under the 5 s periodic rescan: the scans its exec triggers found it.
	waitLibraryProbed(t, a, before, started, 4*time.Second, "the process's own libssl")
	finishPython(t, cmd, stdin, stdout, a, srv)
}
