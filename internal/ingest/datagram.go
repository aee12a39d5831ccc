package ingest

import (
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/vigil-dev/vigil/internal/protocol/datagram"
	"github.com/vigil-dev/vigil/internal/span"
)

// datagramSpan turns an accepted datagram into an outgoing-call span. The
// sender reports a call that has ended, so the span started its duration
// before the datagram arrived. Ids derive from the receiving node, the
// sender, the arrival time and a sequence number: unique, and stable if the
// same span is ever written twice (a spool replay).
func datagramSpan(d *datagram.Datagram, from netip.AddrPort, recvAt time.Time, seq uint64, o *DatagramOptions, rt *router) span.Span {
	start := recvAt.Add(-d.Duration).UTC()
	sender := from.Addr().Unmap().String()
	spanID := span.IDOf(o.Node+"/"+sender, uint64(recvAt.UnixNano()), seq)
	service := o.Service
	if service == "" {
		service = "datagram:" + sender
	}
	target := &span.ServiceTarget{Name: d.Host, Type: "http"}
	var action string
	if api, op, ok := rt.match(d.Method, d.Host, d.Path); ok {
		target = &span.ServiceTarget{Name: api, Type: "external_api"}
		action = op
	}
	path := d.Path
	if d.Query != "" {
		path += "?" + d.Query
	}
	host, port := splitHostPort(d.Host)
	return span.Span{
		ID:        span.TimeOrderedID(start, spanID),
		Timestamp: start,
		Trace:     span.Trace{ID: span.IDOf("trace/"+sender, uint64(recvAt.UnixNano()), seq) + spanID},
		Span: span.Info{
			ID: spanID, Kind: span.KindClient, Name: d.Method + " " + d.Host, Type: "external", Subtype: "http",
			Action: action, Duration: span.Micros{US: d.Duration.Microseconds()},
		},
		Service:     span.Service{Name: service, Node: span.ServiceNode{Name: o.Node}, Target: target},
		Source:      span.Endpoint{IP: sender},
		Destination: endpoint(host, port),
		HTTP: &span.HTTP{Request: span.HTTPRequest{
			Method: d.Method, Scheme: d.Scheme, Path: path, Host: d.Host,
		}},
		Event: span.Event{Outcome: span.OutcomeUnknown}, // datagrams carry no status
		Vigil: span.Vigil{Source: span.SourceDatagram, Format: "datagram/" + strconv.Itoa(d.Version)},
	}
}

func endpoint(host string, port int) span.Endpoint {
	if addr, err := netip.ParseAddr(host); err == nil {
		return span.Endpoint{IP: addr.String(), Port: port}
	}
	return span.Endpoint{Domain: host, Port: port}
}

// splitHostPort splits "host:port" and "[v6]:port"; without a port the
// whole string is the host.
func splitHostPort(hostport string) (string, int) {
	host, p, err := net.SplitHostPort(hostport)
	if err != nil {
		if len(hostport) > 2 && hostport[0] == '[' && hostport[len(hostport)-1] == ']' {
			return hostport[1 : len(hostport)-1], 0
		}
		return hostport, 0
	}
	port, _ := strconv.Atoi(p)
	return host, port
}
