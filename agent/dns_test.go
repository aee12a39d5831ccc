package agent

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/miekg/dns"
	"golang.org/x/sys/unix"

	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/span"
)

// dnsServer answers A, AAAA and TXT for *.vigil.test names it knows and
// NXDOMAIN otherwise, on a free loopback port, over UDP and TCP alike.
func dnsServer(t *testing.T, seen *[]string, mu *sync.Mutex) string {
	t.Helper()
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		q := r.Question[0]
		switch {
		case q.Name != "shop.vigil.test." && q.Name != "t.vigil.test.":
			m.Rcode = dns.RcodeNameError
		case q.Qtype == dns.TypeA:
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(10, 0, 0, 7)})
		case q.Qtype == dns.TypeTXT:
			m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: []string{"v=vigil"}})
		}
		mu.Lock()
		*seen = append(*seen, fmt.Sprintf("%s %s %s %d", strings.TrimSuffix(q.Name, "."), dns.TypeToString[q.Qtype], dns.RcodeToString[m.Rcode], len(m.Answer)))
		mu.Unlock()
		_ = w.WriteMsg(m)
	})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		t.Fatalf("TCP on the UDP port: %v", err)
	}
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: h}, {Listener: ln, Handler: h}} {
		go func() { _ = srv.ActivateAndServe() }()
		t.Cleanup(func() { _ = srv.Shutdown() })
	}
	return pc.LocalAddr().String()
}

// resolve is the child process of TestDNSLookupsBecomeSpans: the Go
// resolver over network ("udp": a connected socket, write and read; or
// "tcp"), as a Go service resolves its dependencies.
func resolve(server, network string) error {
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, server)
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := r.LookupHost(ctx, "shop.vigil.test"); err != nil {
		return err
	}
	if _, err := r.LookupHost(ctx, "missing.vigil.test"); err == nil {
		return fmt.Errorf("missing.vigil.test resolved")
	}
	_, err := r.LookupTXT(ctx, "t.vigil.test")
	return err
}

// TestDNSLookupsBecomeSpans: every query a real resolver sends is one
// client span with the question, response code and answer count the
// server gave: the Go resolver over connected UDP and over TCP, dig (whose
// UDP queries go out by sendmmsg, and +tcp), and A and AAAA sent by one
// sendmmsg as glibc's resolver sends them.
func TestDNSLookupsBecomeSpans(t *testing.T) {
	dig, _ := exec.LookPath("dig")
	cases := []struct {
		name, transport string
		needsDig        bool
		client          func(server string) *exec.Cmd
	}{
		{"go resolver udp", "udp", false, func(server string) *exec.Cmd { return resolverCmd(server, "udp") }},
		{"go resolver tcp", "tcp", false, func(server string) *exec.Cmd { return resolverCmd(server, "tcp") }},
		{"dig", "udp", true, func(server string) *exec.Cmd { return digCmd(dig, server) }},
		{"dig +tcp", "tcp", true, func(server string) *exec.Cmd { return digCmd(dig, server, "+tcp") }},
		{"two queries in one sendmmsg", "udp", false, func(server string) *exec.Cmd { return resolverCmd(server, "sendmmsg") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.needsDig && dig == "" {
				t.Skip("needs dig (apt-get install dnsutils)")
			}
			testDNSLookups(t, tc.transport, tc.client)
		})
	}
}

// sendmmsgQueries is the child process of the "two queries in one sendmmsg"
// case, as glibc's resolver asks A and AAAA: one sendmmsg of both on a
// connected UDP socket, then a recvfrom of each answer.
func sendmmsgQueries(server string) error {
	addr, err := net.ResolveUDPAddr("udp", server)
	if err != nil {
		return err
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Connect(fd, &unix.SockaddrInet4{Port: addr.Port, Addr: [4]byte(addr.IP.To4())}); err != nil {
		return err
	}
	var bufs [2][]byte
	for i, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
		m := new(dns.Msg)
		m.SetQuestion("shop.vigil.test.", qt)
		if bufs[i], err = m.Pack(); err != nil {
			return err
		}
	}
	// struct mmsghdr: a msghdr, then msg_len (written by the kernel).
	type mmsghdr struct {
		hdr unix.Msghdr
		len uint32
		_   [4]byte
	}
	var iov [2]unix.Iovec
	var msgs [2]mmsghdr
	for i := range msgs {
		iov[i].Base = &bufs[i][0]
		iov[i].SetLen(len(bufs[i]))
		msgs[i].hdr.Iov = &iov[i]
		msgs[i].hdr.SetIovlen(1)
	}
	n, _, errno := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&msgs[0])), 2, 0, 0, 0)
	if errno != 0 || n != 2 {
		return fmt.Errorf("sendmmsg: %d sent: %v", n, errno)
	}
	buf := make([]byte, 2048)
	for range 2 {
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 5}); err != nil {
			return err
		}
		if _, _, err := unix.Recvfrom(fd, buf, 0); err != nil {
			return fmt.Errorf("recvfrom: %w", err)
		}
	}
	return nil
}

func resolverCmd(server, network string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "VIGIL_TRAFFIC=dns", "VIGIL_TRAFFIC_URL="+server, "VIGIL_TRAFFIC_NET="+network)
	return cmd
}

// digCmd asks the same questions as resolve, in one dig run.
func digCmd(dig, server string, opts ...string) *exec.Cmd {
	host, port, _ := net.SplitHostPort(server)
	args := append([]string{"@" + host, "-p", port, "+tries=1", "+time=3"}, opts...)
	args = append(args, "shop.vigil.test", "A", "missing.vigil.test", "A", "t.vigil.test", "TXT")
	return exec.Command(dig, args...)
}

func testDNSLookups(t *testing.T, transport string, client func(server string) *exec.Cmd) {
	var seen []string
	var mu sync.Mutex
	server := dnsServer(t, &seen, &mu)
	_, port, _ := net.SplitHostPort(server)
	var p int
	fmt.Sscan(port, &p)
	a := startAgent(t, func(c *config.Agent) { c.Ports = []int{p} })
	cmd := client(server)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v %s", cmd.Path, err, out)
	}
	mu.Lock()
	want := append([]string(nil), seen...) // what the server answered: the ground truth
	mu.Unlock()
	sort.Strings(want)
	if len(want) < 2 {
		t.Fatalf("the server answered only %v", want)
	}
	got := a.waitSpans(t, len(want), func(s *span.Span) bool { return s.DNS != nil })
	a.stop(t)
	var lines []string
	for _, s := range got {
		if s.Span.Kind != span.KindClient || s.Span.Subtype != "dns" || s.DNS.Transport != transport || s.Vigil.Incomplete {
			t.Errorf("span %+v %+v over %s, want a complete client DNS span over %s", s.Span, s.Vigil, s.DNS.Transport, transport)
		}
		if s.Process.PID != cmd.Process.Pid {
			t.Errorf("span of pid %d, want the client's %d", s.Process.PID, cmd.Process.Pid)
		}
		if s.Event.Outcome != span.OutcomeSuccess {
			t.Errorf("span %s: outcome %s, want success (NXDOMAIN is an answer)", s.Span.Name, s.Event.Outcome)
		}
		lines = append(lines, fmt.Sprintf("%s %s %s %d", s.DNS.QuestionName, s.DNS.QuestionType, s.DNS.ResponseCode, s.DNS.Answers))
	}
	sort.Strings(lines)
	if fmt.Sprint(lines) != fmt.Sprint(want) {
		t.Fatalf("DNS spans:\n%v\nwant\n%v", lines, want)
	}
}
