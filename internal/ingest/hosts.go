package ingest

import (
	"strings"

	"github.com/vigil-dev/vigil/internal/span"
)

// hostInfo is what spans need from a (method, host) pair, computed once:
// the span name, the destination, and the routes whose method and host
// expressions match, so that per datagram only path expressions run.
type hostInfo struct {
	name   string // "METHOD host"
	dest   span.Endpoint
	routes []*compiledRoute // in configuration order
}

type hostKey struct{ method, host string }

// hostCache remembers hostInfo per (method, host); a listener hears of few
// distinct ones. Not safe for concurrent use: one listener loop owns it.
type hostCache struct {
	byKey map[hostKey]*hostInfo
}

// maxHosts bounds the cache; past it the cache starts over.
const maxHosts = 4096

func (c *hostCache) get(method, host string, rt *router) *hostInfo {
	if hi, ok := c.byKey[hostKey{method, host}]; ok {
		return hi
	}
	if c.byKey == nil || len(c.byKey) >= maxHosts {
		c.byKey = map[hostKey]*hostInfo{}
	}
	// Clones: the fields point into the datagram, which the cache must
	// not keep alive.
	method, host = strings.Clone(method), strings.Clone(host)
	h, port := splitHostPort(host)
	hi := &hostInfo{name: method + " " + host, dest: endpoint(h, port)}
	for i := range rt.routes {
		r := &rt.routes[i]
		if matches(r.method, method) && matches(r.host, host) {
			hi.routes = append(hi.routes, r)
		}
	}
	c.byKey[hostKey{method, host}] = hi
	return hi
}

// match is router.match for this pair: the first route whose path
// expression matches path.
func (hi *hostInfo) match(path string) (*compiledRoute, bool) {
	for _, r := range hi.routes {
		if matches(r.path, path) {
			return r, true
		}
	}
	return nil, false
}
