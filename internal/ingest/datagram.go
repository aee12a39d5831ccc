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
func datagramSpan(d *datagram.Datagram, snd *sender, recvAt time.Time, seq uint64, o *DatagramOptions, hi *hostInfo) span.Span {
	start := recvAt.Add(-d.Duration).UTC()
	id, spanID, traceID := spanIDs(snd, start, uint64(recvAt.UnixNano()), seq)
	// One allocation for both pointed-to parts of the span.
	ptrs := &struct {
		target span.ServiceTarget
		http   span.HTTP
	}{
		target: span.ServiceTarget{Name: d.Host, Type: "http"},
		http: span.HTTP{Request: span.HTTPRequest{
			Method: d.Method, Scheme: d.Scheme, Path: d.Target(), Host: d.Host,
		}},
	}
	var action string
	if rt, ok := hi.match(d.Path); ok {
		ptrs.target = span.ServiceTarget{Name: rt.api, Type: "external_api"}
		action = rt.operation
	}
	return span.Span{
		ID:        id,
		Timestamp: start,
		Trace:     span.Trace{ID: traceID},
		Span: span.Info{
			ID: spanID, Kind: span.KindClient, Name: hi.name, Type: "external", Subtype: "http",
			Action: action, Duration: span.Micros{US: d.Duration.Microseconds()},
		},
		Service:     span.Service{Name: snd.service, Node: span.ServiceNode{Name: o.Node}, Target: &ptrs.target},
		Source:      span.Endpoint{IP: snd.ip},
		Destination: hi.dest,
		HTTP:        &ptrs.http,
		Event:       span.Event{Outcome: span.OutcomeUnknown}, // datagrams carry no status
		Vigil:       span.Vigil{Source: span.SourceDatagram, Format: formats[d.Version]},
	}
}

var formats = [...]string{"datagram/0", "datagram/1"}

// sender holds the strings derived from a sender's address, built once per
// sender instead of once per datagram.
type sender struct {
	ip, service         string
	spanSeed, traceSeed uint64 // the id keys, hashed (span.IDSeed)
}

// senders caches sender values; a busy listener hears from few addresses.
type senders struct {
	byAddr  map[netip.Addr]*sender
	node    string
	service string
}

// maxSenders bounds the cache; past it the cache starts over.
const maxSenders = 4096

func (s *senders) get(addr netip.Addr) *sender {
	if snd, ok := s.byAddr[addr]; ok {
		return snd
	}
	if s.byAddr == nil || len(s.byAddr) >= maxSenders {
		s.byAddr = map[netip.Addr]*sender{}
	}
	ip := addr.Unmap().String()
	snd := &sender{ip: ip, service: s.service, spanSeed: span.IDSeed(s.node + "/" + ip), traceSeed: span.IDSeed("trace/" + ip)}
	if snd.service == "" {
		snd.service = "datagram:" + ip
	}
	s.byAddr[addr] = snd
	return snd
}

func endpoint(host string, port int) span.Endpoint {
	if host == "" || (host[0] >= 'a' && host[0] <= 'z') { // a name: skip parsing it as an address
		return span.Endpoint{Domain: host, Port: port}
	}
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
