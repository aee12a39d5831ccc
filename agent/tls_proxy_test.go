package agent

import (
	"os/exec"
	"strconv"
	"testing"

	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/span"
)

// connectProxy is an HTTP CONNECT proxy: it prints its port, then relays
// each tunnel's bytes both ways without looking at them.
const connectProxy = `
import socket, sys, threading
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(16)
print(ls.getsockname()[1], flush=True)
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    finally:
        try:
            b.shutdown(socket.SHUT_WR)
        except OSError:
            pass
def handle(c):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = c.recv(4096)
        if not d:
            return
        buf += d
    host, port = buf.split(b" ")[1].decode().rsplit(":", 1)
    u = socket.create_connection((host, int(port)))
    c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
    pipe(c, u)
while True:
    c, _ = ls.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
`

// TestTLSThroughConnectProxy: curl through an HTTP CONNECT proxy to a Go
// TLS server, the proxy's port traced. curl's connection to the proxy
// carries text first (CONNECT and its 200) and then curl's TLS session:
// it must not be taken for plain text, so the request inside the tunnel
// is a client span from curl's plaintext, beside the CONNECT's. The proxy
// relays ciphertext it cannot read: its only span is the CONNECT's.
func TestTLSThroughConnectProxy(t *testing.T) {
	python := lookPathOrSkip(t, "python3")
	curl := lookPathOrSkip(t, "curl")
	srv := startServerKind(t, "tls-server")
	proxyPort := startPrintingPort(t, exec.Command(python, "-c", connectProxy))
	a := startAgent(t, func(c *config.Agent) { c.Ports = []int{proxyPort} })
	localPort := curlHTTPS(t, curl, "https://"+srv.addr+"/hello", 200, "-x", "http://127.0.0.1:"+strconv.Itoa(proxyPort))

	clients := a.waitSpans(t, 2, func(s *span.Span) bool { return s.HTTP != nil && s.Span.Kind == span.KindClient })
	servers := a.waitSpans(t, 1, func(s *span.Span) bool { return s.HTTP != nil && s.Span.Kind == span.KindServer })
	all := a.stop(t)
	got := map[string]*span.Span{}
	for i := range clients {
		s := &clients[i]
		got[s.HTTP.Request.Method+" "+s.HTTP.Request.Path] = s
		if s.Process.Name != "curl" || s.Source.Port != localPort || s.Destination.Port != proxyPort {
			t.Errorf("client span %s %s from %s, %d -> %d; want curl, %d -> %d", s.HTTP.Request.Method, s.HTTP.Request.Path,
				s.Process.Name, s.Source.Port, s.Destination.Port, localPort, proxyPort)
		}
	}
	if s := got["GET /hello"]; s == nil || s.HTTP.Response.StatusCode != 200 || s.HTTP.Response.BodyBytes != 17 || s.Vigil.Incomplete {
		t.Errorf("no complete client span GET /hello 200 with 17 bytes inside the tunnel: %v", spanNames(all))
	}
	if s := got["CONNECT "+srv.addr]; s == nil || s.HTTP.Response.StatusCode != 200 {
		t.Errorf("no client span CONNECT %s 200: %v", srv.addr, spanNames(all))
	}
	if len(servers) != 1 || servers[0].HTTP.Request.Method != "CONNECT" || servers[0].Process.Name != "python3" {
		t.Errorf("proxy spans %v, want its CONNECT only", spanNames(servers))
	}
}

// spanNames lists spans as kind, process and name, for failure messages.
func spanNames(spans []span.Span) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Span.Kind+" "+s.Process.Name+" "+s.Span.Name)
	}
	return out
}
