package check

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
)

// dnsServer answers for the zone test.: www (A, AAAA), alias (CNAME to
// www), test. (MX, TXT); every other name is NXDOMAIN. It returns host:port.
func dnsServer(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	zone := map[string][]string{
		"www.test.":   {"www.test. 60 IN A 192.0.2.10", "www.test. 60 IN AAAA 2001:db8::10"},
		"alias.test.": {"alias.test. 60 IN CNAME www.test.", "www.test. 60 IN A 192.0.2.10"},
		"test.":       {"test. 60 IN MX 10 mail.test.", `test. 60 IN TXT "v=spf1 -all"`},
	}
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		q := req.Question[0]
		records, ok := zone[q.Name]
		if !ok {
			m.Rcode = dns.RcodeNameError
		}
		for _, s := range records {
			rr, err := dns.NewRR(s)
			if err != nil {
				panic(err)
			}
			if rr.Header().Rrtype == q.Qtype || rr.Header().Rrtype == dns.TypeCNAME || q.Qtype == dns.TypeA && rr.Header().Name != q.Name {
				m.Answer = append(m.Answer, rr)
			}
		}
		w.WriteMsg(m)
	})
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: handler, NotifyStartedFunc: func() { close(started) }}
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}

func dnsMonitor(server, name, typ string, asserts ...string) monitor.Monitor {
	return monitor.Monitor{
		ID: "dns1", Type: monitor.TypeDNS, Timeout: monitor.Duration(2 * time.Second),
		DNS:    &monitor.DNSCheck{Name: name, Type: typ, Server: server},
		Assert: asserts,
	}
}

func TestDNS(t *testing.T) {
	server := dnsServer(t)
	tests := []struct {
		name    string
		m       monitor.Monitor
		up      bool
		errType string
		msg     string // of the failed assertion or error
	}{
		{"A", dnsMonitor(server, "www.test", "", `answers == ["192.0.2.10"]`), true, "", ""},
		{"AAAA", dnsMonitor(server, "www.test", "aaaa", `"2001:db8::10" in answers`), true, "", ""},
		{"CNAME chain", dnsMonitor(server, "alias.test", "A", `count == 2 && answers[0] == "www.test."`), true, "", ""},
		{"MX", dnsMonitor(server, "test.", "MX", `answers == ["10 mail.test."]`), true, "", ""},
		{"TXT", dnsMonitor(server, "test", "TXT", `answers[0] startsWith "v=spf1"`), true, "", ""},
		{"default assertion", dnsMonitor(server, "www.test", ""), true, "", ""},
		{"NXDOMAIN", dnsMonitor(server, "nope.test", ""), false, result.ErrorAssertion, `rcode was "NXDOMAIN", count was 0`},
		{"expected NXDOMAIN", dnsMonitor(server, "nope.test", "", `rcode == "NXDOMAIN"`), true, "", ""},
		{"unknown type", dnsMonitor(server, "www.test", "BOGUS"), false, result.ErrorConfig, `unknown record type "BOGUS"`},
		{"missing secret", dnsMonitor("${secrets.DNS}", "www.test", ""), false, result.ErrorConfig, `secret "DNS" is not set`},
	}
	r := newTestRunner(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runOnce(t, r, tt.m)
			if len(res.Steps) != 1 || res.Steps[0].Synthetics.Step.Name != "dns query" {
				t.Fatalf("steps = %+v; want one step named dns query", res.Steps)
			}
			if tt.up {
				wantStatus(t, res, result.StatusUp)
				if res.Steps[0].Timings.Total.US <= 0 {
					t.Errorf("timings = %+v", res.Steps[0].Timings)
				}
				return
			}
			wantStatus(t, res, result.StatusDown)
			if tt.errType == result.ErrorAssertion {
				wantError(t, res, tt.errType, "assertion failed")
				if got := res.Steps[0].Assertions[0].Message; got != tt.msg {
					t.Errorf("message %q, want %q", got, tt.msg)
				}
				return
			}
			wantError(t, res, tt.errType, tt.msg)
		})
	}
}

func TestDNSNoServer(t *testing.T) {
	// A UDP port nobody reads: the query times out with the monitor.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	m := withTimeout(dnsMonitor(pc.LocalAddr().String(), "www.test", ""), 300*time.Millisecond)
	res := runOnce(t, newTestRunner(t), m)
	wantStatus(t, res, result.StatusDown)
	wantError(t, res, result.ErrorIO, "timed out after 300ms")
}

func TestSystemResolver(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "resolv.conf")
	if err := os.WriteFile(p, []byte("# comment\nsearch example.test\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := systemResolver(p)
	if err != nil || got != "192.0.2.53:53" {
		t.Errorf("systemResolver = %q, %v; want the first nameserver", got, err)
	}
	if _, err := systemResolver(filepath.Join(dir, "missing")); err == nil {
		t.Error("no error for a missing resolv.conf")
	}
	empty := filepath.Join(dir, "empty.conf")
	os.WriteFile(empty, []byte("search x\n"), 0o644)
	if _, err := systemResolver(empty); err == nil {
		t.Error("no error for a resolv.conf without nameserver")
	}
}
