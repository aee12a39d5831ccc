package agent

import (
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/span"
)

// tlsRequests are what the TLS tests send to the Go TLS server, one
// connection each; each must become exactly one client and one server span.
var tlsRequests = []struct {
	path   string
	status int
	body   int64
}{
	{"/hello", 200, 17},
	{"/status?code=404", 404, 0},
	{"/bytes?n=3000", 200, 3000}, // more than the 1024 bytes captured
}

// TestTLSCurl: curl (libcurl over OpenSSL's SSL_read/SSL_write) against a
// Go TLS server (crypto/tls, HTTP/1.1). Each request is a client span from
// curl's plaintext and a server span from Go's, with the socket's 4-tuple.
func TestTLSCurl(t *testing.T) {
	curl := lookPathOrSkip(t, "curl")
	srv := startServerKind(t, "tls-server")
	a := startAgent(t, func(c *config.Agent) { c.Ports = []int{srv.port()} })
	var localPorts []int
	for _, r := range tlsRequests {
		localPorts = append(localPorts, curlHTTPS(t, curl, "https://"+srv.addr+r.path, r.status))
	}
	checkTLSSpans(t, a, srv, "curl", localPorts)
}

// TestTLSFilteredPortIsNotUnbound: OpenSSL calls on a connection the port
// filter leaves out (another process's HTTPS, another port) are not traced
// and not counted as plaintext without a socket; the chosen port's are
// traced as usual.
func TestTLSFilteredPortIsNotUnbound(t *testing.T) {
	curl := lookPathOrSkip(t, "curl")
	srv := startServerKind(t, "tls-server")
	other := startServerKind(t, "tls-server")
	a := startAgent(t, func(c *config.Agent) { c.Ports = []int{srv.port()} })
	for range 5 {
		curlHTTPS(t, curl, "https://"+other.addr+"/hello", 200)
	}
	var localPorts []int
	for _, r := range tlsRequests {
		localPorts = append(localPorts, curlHTTPS(t, curl, "https://"+srv.addr+r.path, r.status))
	}
	checkTLSSpans(t, a, srv, "curl", localPorts) // also wants no unbound call
}

// TestTLSPythonURLLib: Python's urllib (the ssl module: SSL_read_ex and
// SSL_write_ex) against the same server, an unverified context, one
// connection per request.
func TestTLSPythonURLLib(t *testing.T) {
	python := lookPathOrSkip(t, "python3")
	srv := startServerKind(t, "tls-server")
	a := startAgent(t, func(c *config.Agent) { c.Ports = []int{srv.port()} })
	var paths []string
	for _, r := range tlsRequests {
		paths = append(paths, r.path)
	}
	out, err := exec.Command(python, "-c", pythonHTTPS, "https://"+srv.addr, strings.Join(paths, ",")).Output()
	if err != nil {
		t.Fatalf("python: %v %s", err, out)
	}
	checkTLSSpans(t, a, srv, "python3", checkPythonOutput(t, out))
}

// pythonHTTPS requests each path on its own connection and prints the
// status and the local port of the socket.
const pythonHTTPS = `
import ssl, sys, urllib.error, urllib.request
ctx = ssl._create_unverified_context()
for path in sys.argv[2].split(","):
    try:
        r = urllib.request.urlopen(sys.argv[1] + path, context=ctx)
    except urllib.error.HTTPError as e:
        r = e
    fp = r.fp
    while not hasattr(fp, "raw"):  # an HTTPError wraps the response
        fp = fp.fp
    port = fp.raw._sock.getsockname()[1]
    r.read()
    print(r.status, port, flush=True)
    r.close()
`

func lookPathOrSkip(t *testing.T, name string) string {
	t.Helper()
	needBPF(t)
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("needs %s (apt-get install %s)", name, name)
	}
	return p
}

// curlHTTPS fetches url with curl (certificate not checked), wants
// status, and returns curl's local port.
func curlHTTPS(t *testing.T, curl, url string, status int, args ...string) int {
	t.Helper()
	out, err := exec.Command(curl, append(args, "-k", "-s", "-o", "/dev/null", "-w", "%{http_code} %{local_port}", url)...).Output()
	if err != nil {
		t.Fatalf("curl %s: %v", url, err)
	}
	return checkClientOutput(t, string(out), status)
}

// checkPythonOutput reads the "STATUS LOCALPORT" lines pythonHTTPS
// printed for tlsRequests and returns the local ports.
func checkPythonOutput(t *testing.T, out []byte) []int {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(tlsRequests) {
		t.Fatalf("python printed %q, want %d lines", out, len(tlsRequests))
	}
	var localPorts []int
	for i, r := range tlsRequests {
		localPorts = append(localPorts, checkClientOutput(t, lines[i], r.status))
	}
	return localPorts
}

// checkClientOutput reads "STATUS LOCALPORT" and returns the port.
func checkClientOutput(t *testing.T, out string, wantStatus int) int {
	t.Helper()
	status, port, _ := strings.Cut(strings.TrimSpace(out), " ")
	if status != strconv.Itoa(wantStatus) {
		t.Fatalf("client got status %s, want %d", status, wantStatus)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n == 0 {
		t.Fatalf("client printed local port %q", port)
	}
	return n
}

// checkTLSSpans wants exactly two spans per tlsRequests entry: the client
// span of service and the Go server's span (its crypto/tls probed at the
// RETs of Read and Write), both on the connection from
// 127.0.0.1:localPorts[i] to the server, and nothing else: no span,
// unknown protocol or parse error out of the ciphertext of either side.
func checkTLSSpans(t *testing.T, a *running, srv *server, service string, localPorts []int) {
	t.Helper()
	n := len(tlsRequests)
	a.waitSpans(t, 2*n, func(*span.Span) bool { return true })
	spans := a.stop(t)
	if len(spans) != 2*n {
		for _, s := range spans {
			t.Logf("span %s %s %s", s.Span.Kind, s.Service.Name, s.Span.Name)
		}
		t.Fatalf("got %d spans, want %d: a client and a server span per request", len(spans), 2*n)
	}
	type key struct{ kind, path string }
	got := map[key]span.Span{}
	for _, s := range spans {
		if s.HTTP == nil {
			t.Fatalf("span %s is not HTTP", s.Span.Name)
		}
		got[key{s.Span.Kind, s.HTTP.Request.Path}] = s
	}
	for i, r := range tlsRequests {
		for kind, svc := range map[string]string{span.KindClient: service, span.KindServer: "agent.test"} {
			s, ok := got[key{kind, r.path}]
			if !ok {
				t.Errorf("no %s span for %s", kind, r.path)
				continue
			}
			if s.HTTP.Request.Method != "GET" || s.HTTP.Response.StatusCode != r.status || s.HTTP.Response.BodyBytes != r.body || s.Vigil.Incomplete {
				t.Errorf("%s %s: %s status %d body %d incomplete %v, want GET status %d body %d",
					kind, r.path, s.HTTP.Request.Method, s.HTTP.Response.StatusCode, s.HTTP.Response.BodyBytes, s.Vigil.Incomplete, r.status, r.body)
			}
			if s.Service.Name != svc {
				t.Errorf("%s %s: service %q, want %q", kind, r.path, s.Service.Name, svc)
			}
			wantSrc := span.Endpoint{IP: "127.0.0.1", Port: localPorts[i]}
			wantDst := span.Endpoint{IP: "127.0.0.1", Port: srv.port()}
			if s.Source.IP != wantSrc.IP || s.Source.Port != wantSrc.Port || s.Destination.IP != wantDst.IP || s.Destination.Port != wantDst.Port {
				t.Errorf("%s %s: %+v -> %+v, want %+v -> %+v", kind, r.path, s.Source, s.Destination, wantSrc, wantDst)
			}
		}
	}
	for _, c := range []struct {
		name, label, value string
		want               float64
	}{
		{"vigil_agent_tls_connections_total", "capture", "plaintext", float64(2 * n)},
		{"vigil_agent_tls_connections_total", "capture", "encrypted_only", 0},
		{"vigil_agent_unknown_protocol_connections_total", "", "", 0},
		{"vigil_agent_parse_errors_total", "", "", 0},
		{"vigil_agent_tls_unbound_calls_total", "", "", 0},
	} {
		if got := counterWith(t, a.reg, c.name, c.label, c.value); got != c.want {
			t.Errorf("%s{%s=%q} = %v, want %v", c.name, c.label, c.value, got, c.want)
		}
	}
	if got := counterWith(t, a.reg, "vigil_agent_tls_plaintext_bytes_total", "", ""); got <= 0 {
		t.Errorf("vigil_agent_tls_plaintext_bytes_total = %v", got)
	}
	for _, kind := range []string{"openssl", "go"} {
		if got := counterWith(t, a.reg, "vigil_agent_tls_libraries", "kind", kind); got < 1 {
			t.Errorf("vigil_agent_tls_libraries{kind=%q} = %v, want at least 1", kind, got)
		}
	}
}

// counterWith sums the series of a metric, those with label=value when
// label is set.
func counterWith(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			match := label == ""
			for _, l := range m.GetLabel() {
				match = match || (l.GetName() == label && l.GetValue() == value)
			}
			if match {
				sum += metricValue(m)
			}
		}
	}
	return sum
}

// TestTLSGoClientKeepAlive: Go at both ends (crypto/tls probed at the RETs
// of Read and Write): two keep-alive connections of six requests each
// make twelve client and twelve server spans, per connection the same
// source port on both sides.
func TestTLSGoClientKeepAlive(t *testing.T) {
	srv := startServerKind(t, "tls-server")
	a := startAgent(t, func(c *config.Agent) { c.Ports = []int{srv.port()} })
	env := clientEnv(srv, "/hello,/status?code=404,/bytes?n=3000", 6, 2, "VIGIL_TRAFFIC_INSECURE=1")
	env[0] = "VIGIL_TRAFFIC_URL=https://" + srv.addr
	calls, _ := runClient(t, env...)
	if len(calls) != 12 {
		t.Fatalf("the client made %d calls, want 12", len(calls))
	}
	a.waitSpans(t, 24, func(*span.Span) bool { return true })
	spans := a.stop(t)
	if len(spans) != 24 {
		t.Fatalf("got %d spans, want 24", len(spans))
	}
	want := map[string]struct {
		status int
		body   int64
	}{"/hello": {200, 17}, "/status?code=404": {404, 0}, "/bytes?n=3000": {200, 3000}}
	count := map[string]int{}
	ports := map[string]map[int]int{span.KindClient: {}, span.KindServer: {}}
	for _, s := range spans {
		w, ok := want[s.HTTP.Request.Path]
		if !ok || s.HTTP.Request.Method != "GET" || s.HTTP.Response.StatusCode != w.status || s.HTTP.Response.BodyBytes != w.body || s.Vigil.Incomplete {
			t.Errorf("%s span %s %s: status %d body %d incomplete %v", s.Span.Kind, s.HTTP.Request.Method, s.HTTP.Request.Path,
				s.HTTP.Response.StatusCode, s.HTTP.Response.BodyBytes, s.Vigil.Incomplete)
		}
		count[s.Span.Kind+" "+s.HTTP.Request.Path]++
		if s.Destination.Port != srv.port() || s.Source.IP != "127.0.0.1" {
			t.Errorf("%s span %s: %+v -> %+v, want 127.0.0.1:* -> :%d", s.Span.Kind, s.Span.Name, s.Source, s.Destination, srv.port())
		}
		ports[s.Span.Kind][s.Source.Port]++
	}
	for path := range want {
		for _, kind := range []string{span.KindClient, span.KindServer} {
			if count[kind+" "+path] != 4 {
				t.Errorf("%d %s spans of %s, want 4", count[kind+" "+path], kind, path)
			}
		}
	}
	if len(ports[span.KindClient]) != 2 || !reflect.DeepEqual(ports[span.KindClient], ports[span.KindServer]) {
		t.Errorf("spans per source port: clients %v, servers %v; want the same two connections of 6", ports[span.KindClient], ports[span.KindServer])
	}
}

// TestTLSCgroupFilter: with a cgroup filter only the traced processes'
// Go programs get probes (here the Go TLS server in the cgroup, not the Go
// programs around it), and only the server's spans are made.
func TestTLSCgroupFilter(t *testing.T) {
	needBPF(t)
	srv := startServerKind(t, "tls-server")
	dir := testCgroup(t, srv.cmd)
	a := startAgent(t, func(c *config.Agent) { c.Cgroups = []string{dir} })
	env := clientEnv(srv, "/hello,/status?code=404", 4, 1, "VIGIL_TRAFFIC_INSECURE=1")
	env[0] = "VIGIL_TRAFFIC_URL=https://" + srv.addr
	runClient(t, env...)
	a.waitSpans(t, 4, func(*span.Span) bool { return true })
	spans := a.stop(t)
	if len(spans) != 4 {
		t.Fatalf("got %d spans, want the server's 4", len(spans))
	}
	for _, s := range spans {
		if s.Span.Kind != span.KindServer || s.Process.PID != srv.cmd.Process.Pid {
			t.Errorf("%s span of pid %d, want only server spans of pid %d", s.Span.Kind, s.Process.PID, srv.cmd.Process.Pid)
		}
	}
	if got := counterWith(t, a.reg, "vigil_agent_tls_libraries", "kind", "go"); got != 1 {
		t.Errorf("%v Go programs probed, want 1: the server's", got)
	}
}

// TestTLSBusyScratchDropsPlaintext: while another TLS call on the same CPU
// holds the TLS copy buffer (a preempted uprobe program, simulated here by
// marking every CPU's buffer in use), plaintext is dropped and counted,
// never built in a buffer someone else is filling; once free, spans come
// back.
func TestTLSBusyScratchDropsPlaintext(t *testing.T) {
	curl := lookPathOrSkip(t, "curl")
	srv := startServerKind(t, "tls-server")
	a := startAgent(t, func(c *config.Agent) { c.Ports = []int{srv.port()} })
	url := "https://" + srv.addr + "/hello"
	onPort := func(port int) func(*span.Span) bool {
		return func(s *span.Span) bool { return s.Span.Kind == span.KindClient && s.Source.Port == port }
	}
	a.waitSpans(t, 1, onPort(curlHTTPS(t, curl, url, 200))) // the probes are attached

	c := a.agent.Capture()
	setBusy := func(v byte) { setScratchBusy(t, c.objs.VigilTlsScratchpad, v) }
	setBusy(1)
	before, _ := c.Stats()
	busyPort := curlHTTPS(t, curl, url, 200)
	time.Sleep(500 * time.Millisecond)
	after, _ := c.Stats()
	if after.Preempted <= before.Preempted {
		t.Errorf("busy buffers: %d plaintext drops counted, want some", after.Preempted-before.Preempted)
	}
	if n := countSpans(a.sink.snapshot(), onPort(busyPort)); n != 0 {
		t.Errorf("%d client spans built while every TLS buffer was busy", n)
	}
	setBusy(0)
	a.waitSpans(t, 1, onPort(curlHTTPS(t, curl, url, 200)))
}
