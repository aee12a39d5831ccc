package dnswire

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

var recordFlag = flag.Bool("record", false, "record the DNS fixtures in testdata (needs dig)")

// answer is the test server: A/AAAA/TXT, NXDOMAIN, SERVFAIL, and a name
// whose UDP answer is truncated (TC) and whose TCP answer is 3 KiB.
func answer(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	q := r.Question[0]
	tcp := w.LocalAddr().Network() == "tcp"
	rr := func(s string) { x, _ := dns.NewRR(q.Name + " 60 " + s); m.Answer = append(m.Answer, x) }
	switch strings.ToLower(q.Name) {
	case "a.vigil.test.":
		switch q.Qtype {
		case dns.TypeA:
			rr("IN A 192.0.2.1")
			rr("IN A 192.0.2.2")
		case dns.TypeAAAA:
			rr("IN AAAA 2001:db8::1")
		}
	case "txt.vigil.test.":
		rr(`IN TXT "v=vigil1"`)
	case "nx.vigil.test.":
		m.Rcode = dns.RcodeNameError
		soa, _ := dns.NewRR("vigil.test. 60 IN SOA ns.vigil.test. h.vigil.test. 1 60 60 60 60")
		m.Ns = append(m.Ns, soa)
	case "fail.vigil.test.":
		m.Rcode = dns.RcodeServerFailure
	case "big.vigil.test.":
		if !tcp {
			m.Truncated = true
			break
		}
		for i := range 64 {
			rr(fmt.Sprintf(`IN TXT "record %02d %s"`, i, strings.Repeat("x", 24)))
		}
	default:
		m.Rcode = dns.RcodeRefused
	}
	if r.IsEdns0() != nil {
		m.SetEdns0(1232, false)
	}
	_ = w.WriteMsg(m)
}

// recorder collects fixture records from several goroutines.
type recorder struct {
	mu   sync.Mutex
	base time.Time
	recs []record
}

func (rc *recorder) now() uint64 { return uint64(time.Since(rc.base)) }

func (rc *recorder) add(conn, transport, dir string, b []byte, start, end uint64) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.recs = append(rc.recs, record{conn, transport, dir, append([]byte(nil), b...), len(b), start, end})
}

func (rc *recorder) write(t *testing.T, name string) {
	var sb strings.Builder
	for _, r := range rc.recs {
		b, _ := json.Marshal(r)
		sb.Write(b)
		sb.WriteByte('\n')
	}
	if err := os.WriteFile("testdata/"+name, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote testdata/%s: %d records", name, len(rc.recs))
}

// startServer serves answer on a free loopback port, UDP and TCP.
func startServer(t *testing.T) string {
	pc, l := listenBoth(t)
	for _, s := range []*dns.Server{{PacketConn: pc, Handler: dns.HandlerFunc(answer)}, {Listener: l, Handler: dns.HandlerFunc(answer)}} {
		go func() { _ = s.ActivateAndServe() }()
		t.Cleanup(func() { _ = s.Shutdown() })
	}
	return pc.LocalAddr().String()
}

// listenBoth finds a port free for both UDP and TCP (dig retries over TCP
// on the port it used for UDP).
func listenBoth(t *testing.T) (net.PacketConn, net.Listener) {
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		pc, err := net.ListenPacket("udp", l.Addr().String())
		if err == nil {
			return pc, l
		}
		l.Close()
	}
	t.Fatal("no port free for both UDP and TCP")
	return nil, nil
}

// startProxy relays between dig and the server, recording what dig sent
// and received.
func startProxy(t *testing.T, server string, rc *recorder) string {
	pc, l := listenBoth(t)
	t.Cleanup(func() { pc.Close(); l.Close() })
	var mu sync.Mutex
	ups := map[string]net.Conn{}
	n := 0
	go func() { // UDP: one upstream socket per client socket
		buf := make([]byte, 65536)
		for {
			k, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			ts := rc.now()
			mu.Lock()
			up := ups[from.String()]
			if up == nil {
				n++
				conn := fmt.Sprintf("dig-udp-%d", n)
				up, _ = net.Dial("udp", server)
				ups[from.String()] = up
				go func() {
					b := make([]byte, 65536)
					for {
						k, err := up.Read(b)
						if err != nil {
							return
						}
						ts := rc.now()
						rc.add(conn, "udp", "ingress", b[:k], ts, ts)
						_, _ = pc.WriteTo(b[:k], from)
					}
				}()
				t.Cleanup(func() { up.Close() })
			}
			conn := fmt.Sprintf("dig-udp-%d", n)
			mu.Unlock()
			rc.add(conn, "udp", "egress", buf[:k], ts, ts)
			_, _ = up.Write(buf[:k])
		}
	}()
	go func() { // TCP: each read chunk is one record
		for i := 1; ; i++ {
			c, err := l.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", server)
			if err != nil {
				c.Close()
				continue
			}
			conn := fmt.Sprintf("dig-tcp-%d", i)
			relay := func(dst, src net.Conn, dir string) {
				b := make([]byte, 65536)
				for {
					k, err := src.Read(b)
					if k > 0 {
						ts := rc.now()
						rc.add(conn, "tcp", dir, b[:k], ts, ts)
						_, _ = dst.Write(b[:k])
					}
					if err != nil {
						dst.Close()
						return
					}
				}
			}
			go relay(up, c, "egress")
			go relay(c, up, "ingress")
		}
	}()
	return pc.LocalAddr().String()
}

// recConn records the Go resolver's own syscalls: each Write and Read.
type recConn struct {
	net.Conn
	rc   *recorder
	name string
	tr   string
}

func (c *recConn) Write(b []byte) (int, error) {
	start := c.rc.now()
	n, err := c.Conn.Write(b)
	c.rc.add(c.name, c.tr, "egress", b[:n], start, c.rc.now())
	return n, err
}

func (c *recConn) Read(b []byte) (int, error) {
	start := c.rc.now()
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.rc.add(c.name, c.tr, "ingress", b[:n], start, c.rc.now())
	}
	return n, err
}

// recPacketConn keeps a UDP conn a net.PacketConn: the Go resolver uses
// the stream framing on any conn that is not one.
type recPacketConn struct {
	recConn
	pc net.PacketConn
}

func (c *recPacketConn) ReadFrom(b []byte) (int, net.Addr, error)  { return c.pc.ReadFrom(b) }
func (c *recPacketConn) WriteTo(b []byte, a net.Addr) (int, error) { return c.pc.WriteTo(b, a) }

func TestRecord(t *testing.T) {
	if !*recordFlag {
		t.Skip("fixtures are committed; pass -record to regenerate them (needs dig)")
	}
	if _, err := exec.LookPath("dig"); err != nil {
		t.Skip("dig is missing (apt-get install dnsutils): cannot record the dig fixture")
	}
	server := startServer(t)

	digRec := &recorder{base: time.Now()}
	proxy := startProxy(t, server, digRec)
	host, port, _ := net.SplitHostPort(proxy)
	for _, q := range [][]string{
		{"a.vigil.test", "A"}, {"A.Vigil.TEST", "AAAA"}, {"txt.vigil.test", "TXT"},
		{"nx.vigil.test", "A"}, {"fail.vigil.test", "A"}, {"big.vigil.test", "TXT"},
	} {
		out, err := exec.Command("dig", "@"+host, "-p", port, "+tries=1", "+time=2", q[0], q[1]).CombinedOutput()
		if err != nil {
			t.Fatalf("dig %v: %v\n%s", q, err, out)
		}
		t.Logf("dig %v:\n%s", q, out)
	}
	time.Sleep(100 * time.Millisecond)
	digRec.write(t, "dig.jsonl")

	goRec := &recorder{base: time.Now()}
	var mu sync.Mutex
	n := 0
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, network, server)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		n++
		name := fmt.Sprintf("go-%s-%d", network, n)
		mu.Unlock()
		rc := recConn{Conn: c, rc: goRec, name: name, tr: network[:3]}
		if pc, ok := c.(net.PacketConn); ok {
			return &recPacketConn{rc, pc}, nil
		}
		return &rc, nil
	}}
	ctx := context.Background()
	if addrs, err := r.LookupHost(ctx, "a.vigil.test."); err != nil || len(addrs) != 3 {
		t.Fatalf("LookupHost: %v %v", addrs, err)
	}
	if txt, err := r.LookupTXT(ctx, "txt.vigil.test."); err != nil || len(txt) != 1 {
		t.Fatalf("LookupTXT: %v %v", txt, err)
	}
	var dnsErr *net.DNSError
	if _, err := r.LookupHost(ctx, "nx.vigil.test."); !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
		t.Fatalf("LookupHost nx: %v", err)
	}
	if txt, err := r.LookupTXT(ctx, "big.vigil.test."); err != nil || len(txt) != 64 {
		t.Fatalf("LookupTXT big: %d %v", len(txt), err)
	}
	goRec.write(t, "goresolver.jsonl")
}
