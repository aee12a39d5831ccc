package agent

import (
	"github.com/vigil-dev/vigil/internal/protocol/dnswire"
	"github.com/vigil-dev/vigil/internal/reassembly"
	"github.com/vigil-dev/vigil/internal/span"
)

// dnsUDP adapts dnswire.UDP: on a datagram socket every syscall record is
// one datagram, its captured head and the size it really had.
type dnsUDP struct {
	u *dnswire.UDP
}

func newDNSUDP(c *conn) protoParser {
	return dnsUDP{dnswire.NewUDP(func(x dnswire.Exchange) { c.emitSpan(c.t.dnsSpan(c.t.newSpan(), c, &x)) })}
}

func (d dnsUDP) Feed(dir reassembly.Direction, p reassembly.Piece) {
	if len(p.Data) > 0 {
		d.u.Datagram(dir, p.Data, len(p.Data)+p.Skipped, p.Start, p.End)
	}
}
func (d dnsUDP) Close(uint64)              { d.u.Close() }
func (d dnsUDP) Stopped() bool             { return false }
func (d dnsUDP) Errors() map[string]uint64 { return d.u.Stats.Errors }
func (d dnsUDP) Name() string              { return "dns" }

// dnsTCP adapts dnswire.TCPParser.
type dnsTCP struct {
	p *dnswire.TCPParser
}

func newDNSTCP(c *conn) protoParser {
	return dnsTCP{dnswire.NewTCPParser(func(x dnswire.Exchange) { c.emitSpan(c.t.dnsSpan(c.t.newSpan(), c, &x)) }, c.joined)}
}

func (d dnsTCP) Feed(dir reassembly.Direction, p reassembly.Piece) { d.p.Feed(dir, p) }
func (d dnsTCP) Close(uint64)                                      { d.p.Close() }
func (d dnsTCP) Stopped() bool                                     { return d.p.Dead() }
func (d dnsTCP) Errors() map[string]uint64                         { return d.p.Stats.Errors }
func (d dnsTCP) Name() string                                      { return "dns" }

// dnsSpan is the span of one lookup: "DNS A example.com".
func (t *tracker) dnsSpan(s *span.Span, c *conn, x *dnswire.Exchange) *span.Span {
	t.baseSpan(s, c, frame{reqDir: x.RequestDir, start: x.RequestStart, end: x.ResponseEnd, reqEnd: x.RequestEnd, incomplete: x.Incomplete, reason: x.Reason})
	t.text.add(&s.Span.Name, "DNS ", x.Type, " ", x.Name)
	s.Span.Subtype = span.SubtypeDNS
	s.DNS = &span.DNS{ID: int(x.ID), QuestionName: x.Name, QuestionType: x.Type, ResponseCode: x.RCode,
		Answers: x.Answers, Transport: x.Transport, Truncated: x.Truncated}
	switch x.RCode {
	case "":
	case "NOERROR", "NXDOMAIN": // a name that does not exist is an answer
		s.Event.Outcome = span.OutcomeSuccess
	default:
		s.Event.Outcome = span.OutcomeFailure
	}
	return s
}
