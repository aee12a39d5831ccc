package postgres

import (
	"github.com/vigil-dev/vigil/internal/reassembly"
)

// detectLimit is how many bytes of a direction are examined before a
// connection that never showed a recognisable message is given up.
const detectLimit = 64 << 10

// maxQueued bounds the client messages awaiting their responses.
const maxQueued = 4096

// Parser follows one connection. It is not safe for concurrent use.
type Parser struct {
	emit   func(Exchange)
	state  State
	joined bool
	reqDir reassembly.Direction
	fr     [2]*framer // by direction
	seen   [2]uint64  // bytes looked at while detecting
	conv
	Stats Stats
}

// NewParser returns a parser for a connection; joined says it was found
// mid-way, so statements prepared earlier are unknown and its first bytes
// may be the middle of a message.
func NewParser(emit func(Exchange), joined bool) *Parser {
	p := &Parser{emit: emit, joined: joined}
	p.conv.p = p
	return p
}

// State tells whether the connection is (still) parsed.
func (p *Parser) State() State { return p.state }

// Feed takes the next in-order piece of one direction. The piece's data is
// not retained.
func (p *Parser) Feed(dir reassembly.Direction, pc reassembly.Piece) {
	dir &= 1
	switch p.state {
	case StateNotPostgres, StateEncrypted:
		return
	case StateDetecting:
		if !p.detect(dir, pc) {
			return
		}
	}
	p.fr[dir].piece(pc)
}

// detect decides, from the first recognisable piece, which side is the
// client, and sets up framing.
func (p *Parser) detect(dir reassembly.Direction, pc reassembly.Piece) bool {
	p.seen[dir] += uint64(len(pc.Data)) + uint64(pc.Skipped) + pc.Lost
	isReq, ok, fresh := detect(pc.Data, pc.Skipped)
	if !ok {
		if !p.joined && len(pc.Data) > 0 && pc.Lost == 0 {
			// A connection seen from its start opens with a startup message.
			p.Stats.add("not postgres")
			p.state = StateNotPostgres
		} else if p.seen[dir] > detectLimit {
			p.Stats.add("no postgres message")
			p.state = StateNotPostgres
		}
		return false
	}
	p.state = StatePostgres
	p.reqDir = dir
	if !isReq {
		p.reqDir = dir ^ 1
	}
	cl := &framer{client: true, onMsg: p.clientMsg, onLost: p.clientLost}
	sv := &framer{onMsg: p.serverMsg, onLost: p.serverLost}
	p.fr[p.reqDir], p.fr[p.reqDir^1] = cl, sv
	switch {
	case fresh:
		// The connection's start: framing and matching are certain.
		p.synced = true
		if isReq && startupKind(pc.Data) != 0 {
			cl.mode = modeUntyped
		}
		sv.answer = !isReq && len(pc.Data) == 1
	default:
		// Mid-connection: the detected side starts at a verified boundary
		// (the piece itself); the other side must find one. Responses are
		// matched from the first one that follows a request, assuming the
		// connection was idle between statements.
		p.fr[dir^1].st = fsResync
		p.atZ = true
		if p.joined {
			p.why = "statement prepared before capture"
		}
	}
	return true
}

// detect is Detect with the count of uncaptured bytes after data; fresh
// says the message belongs to the start of a connection.
func detect(data []byte, skipped int) (isReq, ok, fresh bool) {
	if startupKind(data) != 0 {
		return true, true, true
	}
	isReq, ok = Detect(data)
	if !ok && len(data) >= 5 && skipped > 0 {
		switch {
		case indexByte(clientOnly, data[0]) && chainSure(data, skipped, true):
			return true, true, false
		case indexByte(serverOnly, data[0]) && chainSure(data, skipped, false):
			return false, true, false
		}
	}
	if ok && !isReq && (len(data) == 1 || data[0] == 'R') {
		return false, true, true
	}
	return isReq, ok, false
}

// Close ends the connection: queries left without a response are emitted
// as incomplete.
func (p *Parser) Close() {
	if p.state != StatePostgres {
		return
	}
	p.flush("connection closed before the response")
}
