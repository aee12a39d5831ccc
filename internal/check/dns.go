package check

import (
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
)

const defaultDNSAssert = `rcode == "NOERROR" && count > 0`

// dnsCheck sends one query to the configured server or the system's first
// nameserver.
func (rn *run) dnsCheck(m monitor.Monitor) ([]result.Step, *result.Error) {
	if m.DNS == nil {
		return nil, configError("dns monitor has no dns section")
	}
	s := beginStep(1, "dns query")
	name, qtype, server, err := rn.dnsTarget(*m.DNS)
	if err != nil {
		s.failf(result.ErrorConfig, "%v", err)
		return []result.Step{s.end()}, nil
	}
	s.step.URL = resultURL("dns://" + server + "/" + name)
	s.detail("server", server)
	s.detail("type", dns.TypeToString[qtype])

	reply, err := rn.query(name, qtype, server)
	env := monitor.DNSEnv{Timings: monitor.Timings{DNS: time.Since(s.start)}}
	env.Timings.Total = env.Timings.DNS
	s.setTimings(env.Timings)
	if err != nil {
		s.fail(rn.ioError("query "+server, err))
		return []result.Step{s.end()}, nil
	}
	env.RCode = rcodeName(reply.Rcode)
	env.Answers = answers(reply.Answer)
	env.Count = len(env.Answers)
	s.detail("rcode", env.RCode)
	s.detail("answers", env.Answers)
	asserts := m.Assert
	if len(asserts) == 0 {
		asserts = []string{defaultDNSAssert}
	}
	rn.assertAll(s, env, asserts)
	return []result.Step{s.end()}, nil
}

// dnsTarget resolves the query name, type and server address (host:port).
func (rn *run) dnsTarget(spec monitor.DNSCheck) (name string, qtype uint16, server string, err error) {
	if name, err = rn.expand(spec.Name, nil); err != nil {
		return "", 0, "", fmt.Errorf("name: %w", err)
	}
	t := strings.ToUpper(spec.Type)
	if t == "" {
		t = "A"
	}
	qtype, ok := dns.StringToType[t]
	if !ok {
		return "", 0, "", fmt.Errorf("unknown record type %q", spec.Type)
	}
	if server, err = rn.expand(spec.Server, nil); err != nil {
		return "", 0, "", fmt.Errorf("server: %w", err)
	}
	if server == "" {
		server, err = systemResolver(rn.r.resolvConf)
		if err != nil {
			return "", 0, "", err
		}
	}
	if _, _, err := net.SplitHostPort(server); err != nil {
		server = net.JoinHostPort(server, "53")
	}
	return name, qtype, server, nil
}

// systemResolver is the first nameserver of resolv.conf.
func systemResolver(path string) (string, error) {
	conf, err := dns.ClientConfigFromFile(path)
	if err != nil {
		return "", fmt.Errorf("no dns.server set and reading %s failed: %w", path, err)
	}
	if len(conf.Servers) == 0 {
		return "", fmt.Errorf("no dns.server set and %s lists no nameserver", path)
	}
	return net.JoinHostPort(conf.Servers[0], conf.Port), nil
}

// query asks over UDP and again over TCP when the answer was truncated.
func (rn *run) query(name string, qtype uint16, server string) (*dns.Msg, error) {
	msg := new(dns.Msg)
	msg.SetQuestion(dns.Fqdn(name), qtype)
	msg.RecursionDesired = true
	reply, _, err := (&dns.Client{Net: "udp"}).ExchangeContext(rn.ctx, msg, server)
	if err == nil && reply.Truncated {
		reply, _, err = (&dns.Client{Net: "tcp"}).ExchangeContext(rn.ctx, msg, server)
	}
	if err != nil {
		return nil, err
	}
	return reply, nil
}

func rcodeName(rcode int) string {
	if s, ok := dns.RcodeToString[rcode]; ok {
		return s
	}
	return fmt.Sprintf("RCODE%d", rcode)
}

// answers renders each record's value the way people write it: an
// address, a target name, "10 mx.example.com.", the TXT text.
func answers(rrs []dns.RR) []string {
	out := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		out = append(out, rrValue(rr))
	}
	return out
}

func rrValue(rr dns.RR) string {
	switch v := rr.(type) {
	case *dns.A:
		return v.A.String()
	case *dns.AAAA:
		return v.AAAA.String()
	case *dns.CNAME:
		return v.Target
	case *dns.NS:
		return v.Ns
	case *dns.MX:
		return fmt.Sprintf("%d %s", v.Preference, v.Mx)
	case *dns.TXT:
		return strings.Join(v.Txt, "")
	}
	return strings.TrimSpace(strings.TrimPrefix(rr.String(), rr.Header().String()))
}
