package monitor

import (
	"net"
	"strconv"
)

// checkBlocks checks that a monitor has the block its type needs and none
// of the others.
func (c *checker) checkBlocks() {
	m := c.m
	steps := len(m.Steps) > 0 || c.present("steps")
	blocks := []struct {
		name    string
		typ     string
		present bool
		hint    string
	}{
		{"steps", TypeHTTP, steps, "an http monitor needs steps: a list of at least one step with a request"},
		{"steps", TypeBrowser, steps, "a browser monitor needs steps: a list of actions such as goto, click, type, assert"},
		{"tcp", TypeTCP, m.TCP != nil, "a tcp monitor needs a tcp block with host and port"},
		{"dns", TypeDNS, m.DNS != nil, "a dns monitor needs a dns block with a name"},
		{"tls", TypeTLS, m.TLS != nil, "a tls monitor needs a tls block with a host"},
	}
	owner := map[string]string{"steps": "http or browser", "tcp": TypeTCP, "dns": TypeDNS, "tls": TypeTLS}
	for _, b := range blocks {
		switch {
		case b.typ == m.Type && !b.present:
			c.missing("", b.name, "%s", b.hint)
		case b.present && !blockAllowed(b.name, m.Type) && (b.name != "steps" || b.typ == TypeHTTP):
			c.p.add(b.name, c.keyAt(b.name), "%s is not allowed in a monitor of type %s; it belongs to type %s", b.name, m.Type, owner[b.name])
		}
	}
	if (m.Type == TypeHTTP || m.Type == TypeBrowser) && len(m.Steps) == 0 && c.present("steps") {
		c.fail("steps", "a%s %s monitor needs at least one step", map[bool]string{true: "n", false: ""}[m.Type == TypeHTTP], m.Type)
	}
	c.checkTopAssert()
}

// blockAllowed says whether a monitor of type typ may hold the block.
func blockAllowed(block, typ string) bool {
	if block == "steps" {
		return typ == TypeHTTP || typ == TypeBrowser
	}
	return block == typ
}

// checkTopAssert compiles the assertions of the simple types.
func (c *checker) checkTopAssert() {
	if len(c.m.Assert) == 0 {
		return
	}
	var env any
	switch c.m.Type {
	case TypeTCP:
		env = TCPEnv{}
	case TypeDNS:
		env = DNSEnv{}
	case TypeTLS:
		env = TLSEnv{}
	default:
		c.p.add("assert", c.keyAt("assert"), "assert at the top level is for tcp, dns and tls monitors; put http assertions in each step's assert")
		return
	}
	c.checkExprs("assert", c.m.Assert, env, true, nil)
}

func (c *checker) checkTCP() {
	t := c.m.TCP
	if t == nil {
		return
	}
	if t.Host == "" {
		c.missing("tcp", "host", "tcp.host is required")
	}
	c.checkPort("tcp", t.Port, 1)
	c.checkStrings(nil, map[string]string{"tcp.host": t.Host, "tcp.send": t.Send, "tcp.expect": t.Expect})
}

func (c *checker) checkDNS() {
	d := c.m.DNS
	if d == nil {
		return
	}
	if d.Name == "" {
		c.missing("dns", "name", "dns.name is required")
	}
	switch d.Type {
	case "", "A", "AAAA", "CNAME", "MX", "TXT", "NS":
	default:
		c.fail("dns.type", "dns.type %q is not supported; expected one of: A, AAAA, CNAME, MX, TXT, NS", d.Type)
	}
	if d.Server != "" && !validHostPort(d.Server) {
		c.fail("dns.server", "dns.server must be host:port such as 127.0.0.1:53, got %q", d.Server)
	}
	c.checkStrings(nil, map[string]string{"dns.name": d.Name})
}

func (c *checker) checkTLS() {
	t := c.m.TLS
	if t == nil {
		return
	}
	if t.Host == "" {
		c.missing("tls", "host", "tls.host is required")
	}
	c.checkPort("tls", t.Port, 0)
	if t.MinValidFor < 0 {
		c.fail("tls.min_valid_for", "tls.min_valid_for must not be negative, got %s", t.MinValidFor)
	}
	c.checkStrings(nil, map[string]string{"tls.host": t.Host, "tls.server_name": t.ServerName})
}

// checkPort checks block.port; min is 0 where 0 means the default port.
func (c *checker) checkPort(block string, port, min int) {
	path := joinPath(block, "port")
	switch {
	case port == 0 && min > 0 && !c.present(path):
		c.missing(block, "port", "%s.port is required (1-65535)", block)
	case port < min || port > 65535:
		c.fail(path, "%s.port must be between %d and 65535, got %d", block, max(min, 1), port)
	}
}

func validHostPort(s string) bool {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 1 && n <= 65535
}
