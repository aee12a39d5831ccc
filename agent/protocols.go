package agent

import (
	"github.com/vigil-dev/vigil/internal/protocol/dnswire"
	"github.com/vigil-dev/vigil/internal/protocol/httpwire"
	"github.com/vigil-dev/vigil/internal/reassembly"
)

// protoParser is one protocol's parser of one connection.
type protoParser interface {
	Feed(dir reassembly.Direction, p reassembly.Piece)
	Close(ts uint64)
	// Stopped is true once the rest of the connection is not for this
	// parser (not this protocol, encrypted, upgraded).
	Stopped() bool
	// Errors counts what the parser gave up on, by reason.
	Errors() map[string]uint64
	Name() string
}

// detectLimit bounds the bytes examined before a connection whose
// protocol is not recognised is given up (counted per port).
const detectLimit = 16 << 10

// detector is one protocol's recogniser of a connection's first bytes.
type detector struct {
	name  string
	ports []int // a hint: the protocol's usual ports win ties
	// detect judges the first captured bytes of one direction; sure is
	// false when they are too few to tell.
	detect func(data []byte) (ok, sure bool)
	parser func(c *conn) protoParser
	// stream and datagram restrict a detector to TCP or UDP sockets; on a
	// socket of unknown type (its open event was not seen) both apply.
	stream, datagram bool
}

// applies says whether d may judge the connection's socket.
func (d *detector) applies(c *conn) bool {
	switch {
	case d.stream && c.sockType == sockDgram, d.datagram && c.sockType == sockStream:
		return false
	}
	return true
}

// detectors in the order they are tried; the most specific first, so a
// Redis inline "GET key" is never taken for HTTP. TLS records start with
// bytes no other protocol here starts with.
func (t *tracker) detectors() []detector { return t.protocols }

func defaultDetectors() []detector {
	return []detector{
		{name: "tls", ports: []int{443, 8443}, stream: true, detect: detectTLS, parser: newTLSRecords},
		{name: "http2", ports: []int{50051}, stream: true, detect: detectH2, parser: newH2Parser},
		{name: "http", ports: []int{80, 8080, 8000, 3000}, detect: func(b []byte) (bool, bool) {
			_, ok, sure := httpwire.Detect(b)
			return ok, sure
		}, parser: newHTTPParser},
		{name: "postgresql", ports: []int{5432}, stream: true, detect: detectPostgres, parser: newPostgresParser},
		{name: "mysql", ports: []int{3306}, stream: true, detect: detectMySQL, parser: newMySQLParser},
		{name: "redis", ports: []int{6379, 6380, 26379}, stream: true, detect: detectRedis, parser: newRedisParser},
		{name: "dns", ports: []int{53}, stream: true, detect: func(b []byte) (bool, bool) {
			if len(b) < 2+12 { // length prefix and header
				return false, false
			}
			_, ok := dnswire.Detect(b, true)
			return ok, true
		}, parser: newDNSTCP},
		{name: "dns", ports: []int{53}, datagram: true, detect: func(b []byte) (bool, bool) {
			_, ok := dnswire.Detect(b, false) // a datagram is whole
			return ok, true
		}, parser: newDNSUDP},
	}
}

// detect chooses the connection's parser from the first bytes of either
// direction; until then pieces are looked at, not parsed. Heads written in
// tiny pieces are gathered (a few hundred bytes at most) until a detector
// is sure.
func (c *conn) detect(dir reassembly.Direction, p reassembly.Piece) {
	if p.Lost > 0 || len(p.Data) == 0 {
		c.held[dir] = nil // a gap: what was gathered no longer starts a message
		c.seen += p.Lost + uint64(len(p.Data)) + uint64(p.Skipped)
		c.giveUpIfLong()
		return
	}
	data := p.Data
	if len(c.held[dir]) > 0 {
		c.held[dir] = append(c.held[dir], clonePiece(p))
		data = joinData(c.held[dir])
	}
	d, sure := c.recognise(data)
	switch {
	case d != nil && sure:
		c.startWith(d, dir, p)
	case d == nil && sure:
		// Every detector is sure it is none of theirs. The first bytes of
		// a connection seen from its start cannot be mid-message.
		c.held[dir] = nil
		c.seen += uint64(len(data)) + uint64(p.Skipped)
		if !c.joined {
			c.markUnknown()
			return
		}
		c.giveUpIfLong()
	case len(data) < maxHeld && len(c.held[dir]) < maxHeldPieces && p.Skipped == 0:
		if len(c.held[dir]) == 0 {
			c.held[dir] = append(c.held[dir], clonePiece(p))
		}
	case d != nil: // too long to gather more: let the parser judge
		c.startWith(d, dir, p)
	default:
		// No detector takes the data and no more can be gathered: on a
		// connection seen from its start, as good as every one rejecting
		// it (a server's answer must not make the rest look like it).
		c.held[dir] = nil
		c.seen += uint64(len(data)) + uint64(p.Skipped)
		if !c.joined {
			c.markUnknown()
			return
		}
		c.giveUpIfLong()
	}
}

// maxHeld and maxHeldPieces bound what detection gathers per direction.
const (
	maxHeld       = 512
	maxHeldPieces = 64
)

// recognise returns the first detector that is sure, the usual protocol of
// the connection's port first; or a detector that is not sure yet; sure is
// true with a nil detector when every detector rejects the data.
func (c *conn) recognise(data []byte) (*detector, bool) {
	var unsure *detector
	anyUnsure := false
	dets := c.t.detectors()
	for _, pref := range []bool{true, false} {
		for i := range dets {
			d := &dets[i]
			if c.usualPort(d.ports) != pref || !d.applies(c) {
				continue
			}
			ok, sure := d.detect(data)
			if ok && sure {
				return d, true
			}
			if !sure {
				anyUnsure = true
				if ok && unsure == nil {
					unsure = d
				}
			}
		}
	}
	if unsure != nil {
		return unsure, false
	}
	return nil, !anyUnsure
}

// startWith creates the parser and feeds it what detection gathered.
func (c *conn) startWith(d *detector, dir reassembly.Direction, p reassembly.Piece) {
	c.proto = d.parser(c)
	held := c.held[dir]
	c.held = [2][]reassembly.Piece{}
	if len(held) == 0 {
		c.proto.Feed(dir, p)
	}
	for _, hp := range held {
		c.proto.Feed(dir, hp)
	}
	c.rejectedFirst()
}

func clonePiece(p reassembly.Piece) reassembly.Piece {
	p.Data = append([]byte(nil), p.Data...)
	return p
}

func joinData(ps []reassembly.Piece) []byte {
	var b []byte
	for _, p := range ps {
		b = append(b, p.Data...)
	}
	return b
}

func (c *conn) markUnknown() {
	if !c.unknown {
		c.unknown = true
		c.t.metrics.Unknown.WithLabelValues(portLabel(c)).Inc()
	}
}

func (c *conn) giveUpIfLong() {
	if c.seen > detectLimit {
		c.markUnknown()
	}
}

func (c *conn) usualPort(ports []int) bool {
	for _, p := range ports {
		if p == c.localEP.Port || p == c.remoteEP.Port {
			return true
		}
	}
	return false
}

// httpParser adapts httpwire.Parser.
type httpParser struct {
	*httpwire.Parser
}

func newHTTPParser(c *conn) protoParser {
	return httpParser{httpwire.NewParser(func(x httpwire.Exchange) { c.emitSpan(c.t.buildSpan(c.t.newSpan(), c, &x)) }, c.joined)}
}

func (h httpParser) Stopped() bool {
	st := h.State()
	return st == httpwire.StateNotHTTP || st == httpwire.StateUpgraded
}

func (h httpParser) Errors() map[string]uint64 { return h.Stats.Errors }
func (h httpParser) Name() string              { return "http" }
