package mysql

import "github.com/vigil-dev/vigil/internal/reassembly"

// Capture limits: how much of a packet's payload is kept when it spans
// syscalls. Commands keep enough SQL for the normalised statement;
// responses only need OK/ERR/EOF fields and column counts.
const (
	keepRequest  = 16 << 10
	keepResponse = 512
	maxQueued    = 256      // commands awaiting responses (pipelining)
	maxStmts     = 1024     // prepared statements remembered per connection
	detectLimit  = 64 << 10 // bytes looked at before a joined connection is declared not MySQL
)

// Parser follows one connection. It is not safe for concurrent use.
type Parser struct {
	emit   func(Exchange)
	joined bool
	state  State
	reqDir reassembly.Direction
	fr     [2]framer // by direction
	seen   [2]uint64

	hsSeq      byte   // next sequence id of the handshake
	hsResp     bool   // the handshake response was seen
	serverCaps uint64 // capabilities: low 32 bits standard, high MariaDB extended
	// deprecateEOF: no EOF after definitions. Known from the handshake, or
	// learned from the first result set of a connection joined later.
	eofKnown, deprecateEOF bool
	optEOF                 bool // an EOF may end a PREPARE response already emitted
	optSeq                 byte

	user, db string
	queue    []*command
	stmts    map[uint32]stmt
	lastPrep stmt // for MariaDB's "last prepared" id 0xffffffff
	reqLost  bool // request framing was lost: the next command's response must be found
	gaps     bool // something before was not seen: unknown statements predate the capture
	Stats    Stats
}

// stmt is a prepared statement's remembered text.
type stmt struct {
	sql, op   string
	truncated bool
	ok        bool
}

// NewParser returns a parser for a connection; joined says it was found
// mid-way, so its first bytes may be the middle of a packet.
func NewParser(emit func(Exchange), joined bool) *Parser {
	return &Parser{emit: emit, joined: joined, gaps: joined}
}

// State tells whether the connection is (still) parsed as MySQL.
func (p *Parser) State() State { return p.state }

// Feed takes the next in-order piece of one direction. The piece's data is
// not retained.
func (p *Parser) Feed(dir reassembly.Direction, pc reassembly.Piece) {
	dir &= 1
	switch p.state {
	case StateDetecting:
		p.detect(dir, pc)
		return
	case StateHandshake, StateCommand:
	default:
		return
	}
	f := &p.fr[dir]
	if !f.sync && !p.resync(dir, pc) {
		p.unsynced(dir, pc)
		return
	}
	f.feed(pc)
}

// detect waits for a greeting or a command at a syscall boundary.
func (p *Parser) detect(dir reassembly.Direction, pc reassembly.Piece) {
	p.seen[dir] += uint64(len(pc.Data)) + uint64(pc.Skipped) + pc.Lost
	isReq, ok := Detect(pc.Data)
	if !ok || pc.Lost > 0 && !p.joined {
		if !p.joined {
			p.Stats.add("not mysql")
			p.state = StateNotMySQL
		} else if p.seen[dir] > detectLimit {
			p.Stats.add("no mysql packet start")
			p.state = StateNotMySQL
		}
		return
	}
	if isReq {
		p.begin(dir, false)
	} else {
		p.begin(dir^1, true)
	}
	p.fr[dir].feed(pc)
}

// begin sets the request direction; handshake says the greeting is next,
// otherwise the capture starts at a command and the response must be found.
func (p *Parser) begin(reqDir reassembly.Direction, handshake bool) {
	p.reqDir = reqDir
	req, resp := &p.fr[reqDir], &p.fr[reqDir^1]
	*req = framer{keep: keepRequest, onPacket: p.clientPacket, onLost: p.lostRequest}
	*resp = framer{keep: keepResponse, onPacket: p.serverPacket, onLost: p.lostResponse}
	req.sync = true
	resp.sync = handshake
	p.state = StateCommand
	if handshake {
		p.state = StateHandshake
	} else {
		p.gaps = true
	}
}

// resync decides whether an unsynced direction restarts at this piece.
func (p *Parser) resync(dir reassembly.Direction, pc reassembly.Piece) bool {
	if p.state != StateCommand {
		return false // a handshake that lost its framing is left to end
	}
	if dir == p.reqDir {
		if !plausibleCommand(pc.Data) {
			return false
		}
	} else {
		c := p.head()
		// Only the expected response of a command seen whole, starting after
		// the command was sent.
		if c == nil || c.lost || c.started || pc.End < c.x.RequestEnd || !plausibleResponse(pc.Data, c.seq, c.code) {
			return false
		}
	}
	p.fr[dir].restart()
	return true
}

// unsynced accounts the bytes of a direction whose framing is lost.
func (p *Parser) unsynced(dir reassembly.Direction, pc reassembly.Piece) {
	if dir == p.reqDir {
		return
	}
	if c := p.head(); c != nil && c.lost {
		c.x.ResponseBytes += int64(len(pc.Data)) + int64(pc.Skipped) + int64(min(pc.Lost, 1<<40))
		c.x.ResponseEnd = pc.End
	}
}

func (p *Parser) head() *command {
	if len(p.queue) == 0 {
		return nil
	}
	return p.queue[0]
}

func (p *Parser) lostRequest(reason string, partial int64, end uint64) {
	p.Stats.add("request framing lost: " + reason)
	p.reqLost, p.gaps = true, true
	if p.state == StateHandshake {
		p.handshakeLost()
		return
	}
	// A command waiting for client data (LOCAL INFILE, authentication)
	// cannot continue; its response cannot be followed either.
	if c := p.head(); c != nil && !c.lost && (c.st == rsInfile || c.st == rsAuth) {
		p.loseResponse(c, "request framing lost")
	}
}

func (p *Parser) lostResponse(reason string, partial int64, end uint64) {
	p.Stats.add("response framing lost: " + reason)
	p.gaps = true
	if p.state == StateHandshake {
		p.handshakeLost()
		return
	}
	if c := p.head(); c != nil && !c.lost {
		c.x.ResponseBytes += partial
		c.x.ResponseEnd = max(c.x.ResponseEnd, end)
		p.loseResponse(c, "response framing lost")
	}
}

// loseResponse marks the head's response as not followable: the rest of it
// is counted until the next command, and no rows are claimed.
func (p *Parser) loseResponse(c *command, reason string) {
	c.lost = true
	c.x.Rows = -1
	if !c.x.Incomplete {
		c.x.Incomplete, c.x.Reason = true, reason
	}
	p.fr[p.reqDir^1].sync = false
}

// handshakeLost gives up on the handshake: capabilities stay unknown and
// commands are found as on a joined connection.
func (p *Parser) handshakeLost() {
	p.state = StateCommand
	p.fr[p.reqDir].sync = false
	p.fr[p.reqDir^1].sync = false
}

// Close ends the connection: commands still waiting are emitted as
// incomplete.
func (p *Parser) Close() {
	for len(p.queue) > 0 {
		c := p.queue[0]
		if !c.lost && !c.done {
			reason := "connection closed before the response"
			if c.started {
				reason = "connection closed during the response"
			}
			c.x.Rows = -1
			if !c.x.Incomplete {
				c.x.Incomplete, c.x.Reason = true, reason
			}
		}
		p.send(c)
	}
}
