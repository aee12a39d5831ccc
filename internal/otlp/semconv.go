package otlp

import (
	"math"
	"net"
	"net/netip"
	"net/url"
	"strconv"

	"github.com/vigil-dev/vigil/internal/span"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// attrMap reads converted attributes by OpenTelemetry semantic
// conventions, which have renamed most keys over time: each getter takes
// the current name first and the older ones after it.
type attrMap map[string]any

// str is the first non-empty string value among keys.
func (m attrMap) str(keys ...string) string {
	for _, k := range keys {
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// int is the first integer among keys; senders use ints, whole floats or
// decimal strings.
func (m attrMap) int(keys ...string) (int64, bool) {
	for _, k := range keys {
		switch v := m[k].(type) {
		case int64:
			return v, true
		case float64:
			if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
				return int64(v), true
			}
		case string:
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				return n, true
			}
		}
	}
	return 0, false
}

// describe fills what semantic conventions say: HTTP, endpoints, subtype,
// target, and the outcome with the status.
func describe(s *span.Span, attrs map[string]any, st *tracepb.Status, a *attrConv) {
	m := attrMap(attrs)
	s.HTTP = httpOf(m, s.Span.Kind)
	if s.HTTP != nil {
		s.HTTP.Request.TraceState = s.OTel.TraceState
	}
	s.Source, s.Destination = endpoints(m, s.Span.Kind)
	s.Span.Subtype = subtypeOf(m, s.HTTP != nil)
	s.Service.Target = targetOf(m, s)
	s.OTel.Status = statusOf(st, a)
	s.Event.Outcome = outcomeOf(s.OTel.Status.Code, s.HTTP, s.Span.Kind)
}

func subtypeOf(m attrMap, isHTTP bool) string {
	if v := m.str("db.system.name", "db.system", "messaging.system", "rpc.system"); v != "" {
		return v
	}
	if isHTTP {
		return "http"
	}
	return ""
}

// targetOf is the downstream a client or producer span called.
func targetOf(m attrMap, s *span.Span) *span.ServiceTarget {
	if s.Span.Kind != span.KindClient && s.Span.Kind != span.KindProducer {
		return nil
	}
	name := m.str("peer.service", "server.address", "net.peer.name")
	if name == "" && s.HTTP != nil {
		name = s.HTTP.Request.Host
	}
	if name == "" {
		return nil
	}
	return &span.ServiceTarget{Name: name, Type: s.Span.Subtype}
}

func statusOf(st *tracepb.Status, a *attrConv) *span.Status {
	out := &span.Status{Code: "unset", Message: a.str(st.GetMessage())}
	switch st.GetCode() {
	case tracepb.Status_STATUS_CODE_OK:
		out.Code = "ok"
	case tracepb.Status_STATUS_CODE_ERROR:
		out.Code = "error"
	}
	return out
}

// outcomeOf follows the status when the sender set one, else the HTTP
// status code as OpenTelemetry's HTTP conventions define errors: 5xx for
// servers, 4xx and 5xx for clients.
func outcomeOf(code string, h *span.HTTP, kind string) string {
	switch {
	case code == "ok":
		return span.OutcomeSuccess
	case code == "error":
		return span.OutcomeFailure
	case h == nil || h.Response.StatusCode == 0:
		return span.OutcomeUnknown
	case h.Response.StatusCode >= 500, kind == span.KindClient && h.Response.StatusCode >= 400:
		return span.OutcomeFailure
	}
	return span.OutcomeSuccess
}

// httpOf is the HTTP exchange a span describes, nil without a method.
func httpOf(m attrMap, kind string) *span.HTTP {
	method := m.str("http.request.method", "http.method")
	if method == "_OTHER" {
		method = m.str("http.request.method_original", "http.request.method")
	}
	if method == "" {
		return nil
	}
	u := parseURL(m.str("url.full", "http.url"))
	h := &span.HTTP{Version: m.str("network.protocol.version", "http.flavor")}
	h.Request.Method = method
	h.Request.Scheme = m.str("url.scheme", "http.scheme")
	if h.Request.Scheme == "" && u != nil {
		h.Request.Scheme = u.Scheme
	}
	h.Request.Path = requestTarget(m, u)
	h.Request.Host = hostOf(m, kind, h.Request.Scheme, u)
	if code, ok := m.int("http.response.status_code", "http.status_code"); ok && code > 0 && code < 1000 {
		h.Response.StatusCode = int(code)
	}
	h.Request.BodyBytes = size(m, "http.request.body.size", "http.request_content_length")
	h.Request.Bytes = size(m, "http.request.size")
	h.Response.BodyBytes = size(m, "http.response.body.size", "http.response_content_length")
	h.Response.Bytes = size(m, "http.response.size")
	return h
}

func parseURL(s string) *url.URL {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil
	}
	return u
}

// requestTarget is the path and query as sent.
func requestTarget(m attrMap, u *url.URL) string {
	if p := m.str("url.path"); p != "" {
		if q := m.str("url.query"); q != "" {
			return p + "?" + q
		}
		return p
	}
	if t := m.str("http.target"); t != "" {
		return t
	}
	if u == nil {
		return ""
	}
	p := u.EscapedPath()
	if p == "" && u.Host != "" {
		p = "/"
	}
	if u.RawQuery != "" || u.ForceQuery {
		p += "?" + u.RawQuery
	}
	return p
}

// hostOf is the Host header: the server's name, with its port unless that
// is the scheme's default.
func hostOf(m attrMap, kind, scheme string, u *url.URL) string {
	if h := withPort(m.str("server.address"), m, scheme, "server.port"); h != "" {
		return h
	}
	if h := m.str("http.host"); h != "" {
		return h
	}
	nameKey, portKey := "net.peer.name", "net.peer.port"
	if kind == span.KindServer {
		nameKey, portKey = "net.host.name", "net.host.port"
	}
	if h := withPort(m.str(nameKey), m, scheme, portKey); h != "" {
		return h
	}
	if u != nil {
		return u.Host
	}
	return ""
}

func withPort(host string, m attrMap, scheme, portKey string) string {
	port, ok := m.int(portKey)
	if host == "" || !ok || port <= 0 || port > 65535 ||
		(scheme == "http" && port == 80) || (scheme == "https" && port == 443) {
		return host
	}
	return net.JoinHostPort(host, strconv.FormatInt(port, 10))
}

func size(m attrMap, keys ...string) int64 {
	if n, ok := m.int(keys...); ok && n > 0 {
		return n
	}
	return 0
}

// Attribute pairs (address, port) naming each end of a connection, newest
// conventions first.
var (
	peerEnd   = [][2]string{{"network.peer.address", "network.peer.port"}, {"net.sock.peer.addr", "net.sock.peer.port"}, {"net.peer.ip", "net.peer.port"}}
	localEnd  = [][2]string{{"network.local.address", "network.local.port"}, {"net.sock.host.addr", "net.sock.host.port"}, {"net.host.ip", "net.host.port"}}
	clientEnd = append([][2]string{{"client.address", "client.port"}}, peerEnd...)
	serverEnd = append([][2]string{{"server.address", "server.port"}}, peerEnd...)
)

// endpoints are the client (source) and server (destination) ends of the
// span's connection: a server's peer is its client, a client's its server.
func endpoints(m attrMap, kind string) (src, dst span.Endpoint) {
	switch kind {
	case span.KindServer, span.KindConsumer:
		src = endpoint(m, clientEnd, "client.address")
		dst = endpoint(m, localEnd, "server.address", "net.host.name")
		if dst.Port == 0 {
			dst.Port = port(m, "server.port", "net.host.port")
		}
	case span.KindClient, span.KindProducer:
		src = endpoint(m, localEnd)
		dst = endpoint(m, serverEnd, "server.address", "net.peer.name")
	}
	return src, dst
}

// endpoint is the first pair whose address is an IP (the IP field holds
// IPs only), or else the first host name among names and the first port.
func endpoint(m attrMap, pairs [][2]string, names ...string) span.Endpoint {
	for _, p := range pairs {
		if ip, err := netip.ParseAddr(m.str(p[0])); err == nil {
			return span.Endpoint{IP: ip.WithZone("").String(), Port: port(m, p[1])}
		}
	}
	var e span.Endpoint
	for _, p := range pairs {
		if e.Port = port(m, p[1]); e.Port != 0 {
			break
		}
	}
	for _, k := range names {
		name := m.str(k)
		if ip, err := netip.ParseAddr(name); err == nil {
			e.IP = ip.WithZone("").String()
			break
		}
		if name != "" {
			e.Domain = name
			break
		}
	}
	return e
}

func port(m attrMap, keys ...string) int {
	if n, ok := m.int(keys...); ok && n > 0 && n <= 65535 {
		return int(n)
	}
	return 0
}
