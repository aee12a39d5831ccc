package otlp

import (
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/vigil-dev/vigil/internal/span"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// describe fills what semantic conventions say: HTTP, endpoints, subtype,
// target, and the outcome with the status. m holds the span's attributes.
// h, when not nil, is where to build the HTTP fields; ends, when not nil,
// the previous span's endpoints.
func describe(s *span.Span, m *semAttrs, status *span.Status, h *span.HTTP, ends *endsMemo) {
	s.HTTP = httpOf(m, s.Span.Kind, h)
	if s.HTTP != nil {
		s.HTTP.Request.TraceState = s.OTel.TraceState
	}
	s.Source, s.Destination = ends.endpoints(m, s.Span.Kind)
	s.Span.Subtype = subtypeOf(m, s.HTTP != nil)
	s.Service.Target = targetOf(m, s)
	s.OTel.Status = status
	s.Event.Outcome = outcomeOf(s.OTel.Status.Code, s.HTTP, s.Span.Kind)
}

func subtypeOf(m *semAttrs, isHTTP bool) string {
	if v := m.str(kDBSystemName, kDBSystem, kMessagingSystem, kRPCSystem); v != "" {
		return v
	}
	if isHTTP {
		return "http"
	}
	return ""
}

// targetOf is the downstream a client or producer span called.
func targetOf(m *semAttrs, s *span.Span) *span.ServiceTarget {
	if s.Span.Kind != span.KindClient && s.Span.Kind != span.KindProducer {
		return nil
	}
	name := m.str(kPeerService, kServerAddress, kNetPeerName)
	if name == "" && s.HTTP != nil {
		name = s.HTTP.Request.Host
	}
	if name == "" {
		return nil
	}
	return &span.ServiceTarget{Name: name, Type: s.Span.Subtype}
}

// statusOf converts a span's status into out.
func statusOf(out *span.Status, code tracepb.Status_StatusCode, msg string, a *attrConv) *span.Status {
	*out = span.Status{Code: "unset", Message: a.str(msg)}
	switch code {
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
func httpOf(m *semAttrs, kind string, h *span.HTTP) *span.HTTP {
	method := m.str(kHTTPRequestMethod, kHTTPMethod)
	if method == "_OTHER" {
		method = m.str(kHTTPRequestMethodOriginal, kHTTPRequestMethod)
	}
	if method == "" {
		return nil
	}
	u := parseURL(m.str(kURLFull, kHTTPURL))
	if h == nil {
		h = new(span.HTTP)
	}
	*h = span.HTTP{Version: m.str(kNetworkProtocolVersion, kHTTPFlavor)}
	h.Request.Method = method
	h.Request.Scheme = m.str(kURLScheme, kHTTPScheme)
	if h.Request.Scheme == "" && u != nil {
		h.Request.Scheme = u.Scheme
	}
	h.Request.Path = requestTarget(m, u)
	h.Request.Host = hostOf(m, kind, h.Request.Scheme, u)
	if code, ok := m.int(kHTTPResponseStatusCode, kHTTPStatusCode); ok && code > 0 && code < 1000 {
		h.Response.StatusCode = int(code)
	}
	h.Request.BodyBytes = size(m, kHTTPRequestBodySize, kHTTPRequestContentLength)
	h.Request.Bytes = size(m, kHTTPRequestSize)
	h.Response.BodyBytes = size(m, kHTTPResponseBodySize, kHTTPResponseContentLength)
	h.Response.Bytes = size(m, kHTTPResponseSize)
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
func requestTarget(m *semAttrs, u *url.URL) string {
	if p := m.str(kURLPath); p != "" {
		if q := m.str(kURLQuery); q != "" {
			return m.arena.join(p, "?", q)
		}
		return p
	}
	if t := m.str(kHTTPTarget); t != "" {
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
func hostOf(m *semAttrs, kind, scheme string, u *url.URL) string {
	if h := withPort(m.str(kServerAddress), m, scheme, kServerPort); h != "" {
		return h
	}
	if h := m.str(kHTTPHost); h != "" {
		return h
	}
	nameKey, portKey := kNetPeerName, kNetPeerPort
	if kind == span.KindServer {
		nameKey, portKey = kNetHostName, kNetHostPort
	}
	if h := withPort(m.str(nameKey), m, scheme, portKey); h != "" {
		return h
	}
	if u != nil {
		return u.Host
	}
	return ""
}

func withPort(host string, m *semAttrs, scheme string, portKey semKey) string {
	port, ok := m.int(portKey)
	if host == "" || !ok || port <= 0 || port > 65535 ||
		(scheme == "http" && port == 80) || (scheme == "https" && port == 443) {
		return host
	}
	return net.JoinHostPort(host, strconv.FormatInt(port, 10))
}

func size(m *semAttrs, keys ...semKey) int64 {
	if n, ok := m.int(keys...); ok && n > 0 {
		return n
	}
	return 0
}

// Attribute pairs (address, port) naming each end of a connection, newest
// conventions first.
var (
	peerEnd   = [][2]semKey{{kNetworkPeerAddress, kNetworkPeerPort}, {kNetSockPeerAddr, kNetSockPeerPort}, {kNetPeerIP, kNetPeerPort}}
	localEnd  = [][2]semKey{{kNetworkLocalAddress, kNetworkLocalPort}, {kNetSockHostAddr, kNetSockHostPort}, {kNetHostIP, kNetHostPort}}
	clientEnd = append([][2]semKey{{kClientAddress, kClientPort}}, peerEnd...)
	serverEnd = append([][2]semKey{{kServerAddress, kServerPort}}, peerEnd...)
)

// endpoints are the client (source) and server (destination) ends of the
// span's connection: a server's peer is its client, a client's its server.
func endpoints(m *semAttrs, kind string) (src, dst span.Endpoint) {
	switch kind {
	case span.KindServer, span.KindConsumer:
		src = endpoint(m, clientEnd, kClientAddress)
		dst = endpoint(m, localEnd, kServerAddress, kNetHostName)
		if dst.Port == 0 {
			dst.Port = port(m, kServerPort, kNetHostPort)
		}
	case span.KindClient, span.KindProducer:
		src = endpoint(m, localEnd)
		dst = endpoint(m, serverEnd, kServerAddress, kNetPeerName)
	}
	return src, dst
}

// endsMemo is the endpoints of the previous span and the attributes
// they were read from: spans of a batch mostly have the same ends, and
// working them out was a tenth of a span's conversion.
type endsMemo struct {
	ok       bool
	kind     string
	read     uint64 // the semAttrs bits endpoints read
	src, dst span.Endpoint
}

// endpoints is endpoints(m, kind), the memo's when none of the attributes
// it read has changed since (a nil memo remembers nothing). It clears m's
// change bits: describe runs once per span.
func (e *endsMemo) endpoints(m *semAttrs, kind string) (src, dst span.Endpoint) {
	if e == nil {
		return endpoints(m, kind)
	}
	if !e.ok || e.kind != kind || m.changed&e.read != 0 {
		m.read = 0
		e.src, e.dst = endpoints(m, kind)
		e.ok, e.kind, e.read = true, kind, m.read
	}
	m.changed = 0
	return e.src, e.dst
}

// endpoint is the first pair whose address is an IP (the IP field holds
// IPs only), or else the first host name among names and the first port.
func endpoint(m *semAttrs, pairs [][2]semKey, names ...semKey) span.Endpoint {
	for _, p := range pairs {
		if ip, ok := ipOf(m.str(p[0])); ok {
			return span.Endpoint{IP: ip, Port: port(m, p[1])}
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
		if ip, ok := ipOf(name); ok {
			e.IP = ip
			break
		}
		if name != "" {
			e.Domain = name
			break
		}
	}
	return e
}

func port(m *semAttrs, keys ...semKey) int {
	if n, ok := m.int(keys...); ok && n > 0 && n <= 65535 {
		return int(n)
	}
	return 0
}

// ipOf is s as an IP address without zone, when it is one. What cannot
// be one (IPv4 starts with a digit, IPv6 has a colon) is not parsed, as a
// failed parse allocates its error; and an IPv4 address is already in the
// form String gives (ParseAddr refuses other IPv4 forms).
func ipOf(s string) (string, bool) {
	if s == "" || (s[0] < '0' || s[0] > '9') && !strings.Contains(s, ":") {
		return "", false
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return "", false
	}
	if ip.Is4() {
		return s, true
	}
	return ip.WithZone("").String(), true
}
