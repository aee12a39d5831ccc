package redis

import (
	"github.com/vigil-dev/vigil/internal/reassembly"
)

// maxQueued bounds commands waiting for replies; beyond it matching is
// given up rather than guessed.
const maxQueued = 1024

// detectLimit is how many bytes of a joined connection are examined for a
// command start before it is declared not Redis.
const detectLimit = 64 << 10

// pending is a command waiting for its reply.
type pending struct {
	x       Exchange
	subKind string // pub/sub command: confirmations of this kind answer it
	want    int    // confirmations expected (one per channel)
	got     int
	all     bool // UNSUBSCRIBE without channels: as many as there were
	noReply bool // CLIENT REPLY OFF/SKIP: the server sends nothing
	dropped bool // the name was not captured: consume the reply, emit nothing
	after   func(p *Parser, f *frame)
}

// Parser follows one connection. It is not safe for concurrent use.
//
// Matching is by order, so it is on only while the parser is sure no reply
// was lost or gained. Lost framing in either direction (bytes lost or not
// captured outside a bulk payload, bytes that are not RESP, a reply with no
// command) emits every waiting command Incomplete and turns matching off.
// It is turned on again at a quiet point: a command that begins a piece,
// written after the last reply byte seen, while the reply direction is at
// a frame boundary, on a connection that has never pipelined (nor turned
// replies off). A client that waits for each reply has then nothing
// outstanding; a pipelining client might, so its connection stays
// unmatched.
type Parser struct {
	emit    func(Exchange)
	state   State
	joined  bool
	reqDir  reassembly.Direction
	rd      [2]reader
	q       []pending
	qh      int
	sync    bool
	synced  bool // matching was on once: before, a joined connection is still joining
	quiet   bool // the command being read began at a quiet point
	piped   bool // the command being read was pipelined
	everPip bool

	subscribed, subKnown, resp3, inMulti, multiSub bool
	replyOff, skipNext, monitor                    bool

	lastReplyEnd uint64
	seen         [2]uint64
	held         [2][]reassembly.Piece
	Stats        Stats
}

// NewParser returns a parser for a connection; joined says it was found
// mid-way, so its first bytes may be the middle of a frame.
func NewParser(emit func(Exchange), joined bool) *Parser {
	return &Parser{emit: emit, joined: joined}
}

// State tells whether the connection is (still) judged Redis.
func (p *Parser) State() State { return p.state }

// Feed takes the next in-order piece of one direction. The piece's data is
// not retained.
func (p *Parser) Feed(dir reassembly.Direction, pc reassembly.Piece) {
	dir &= 1
	switch p.state {
	case NotRedis:
		return
	case Detecting:
		p.detect(dir, pc)
		return
	}
	p.rd[dir].piece(pc)
	if dir != p.reqDir {
		p.lastReplyEnd = max(p.lastReplyEnd, pc.End)
	}
}

// detect waits for the first frame start; tiny first writes are held
// until they can be judged.
func (p *Parser) detect(dir reassembly.Direction, pc reassembly.Piece) {
	p.seen[dir] += uint64(len(pc.Data)) + uint64(pc.Skipped) + pc.Lost
	held := p.held[dir]
	if pc.Lost > 0 {
		held = nil
		p.joined = true // the start was lost: as if found mid-way
	}
	var b []byte
	for _, h := range held {
		b = append(b, h.Data...)
	}
	b = append(b, pc.Data[:min(len(pc.Data), 1024)]...)
	v := classify(b)
	switch {
	case v == vReply && p.joined, v == vCommandLike && p.joined:
		v = vNone // mid-stream bytes may look like a reply: wait for a known command
	case v == vCommandLike:
		v = vRequest // the client speaks first
	}
	switch v {
	case vRequest:
		p.begin(dir)
	case vReply:
		p.begin(dir ^ 1)
	case vUnsure:
		if len(b) < 1024 && pc.Skipped == 0 {
			p.held[dir] = append(held, clonePiece(pc))
			return
		}
		fallthrough
	default:
		p.held[dir] = nil
		if !p.joined {
			p.Stats.add("not redis")
			p.state = NotRedis
		} else if p.seen[dir] > detectLimit {
			p.Stats.add("no command start")
			p.state = NotRedis
		}
		return
	}
	// Replay what was held: the other direction's tiny first writes, then
	// this one's, then pc.
	other := p.held[dir^1]
	p.held = [2][]reassembly.Piece{}
	for _, h := range other {
		p.Feed(dir^1, h)
	}
	for _, h := range held {
		p.Feed(dir, h)
	}
	p.Feed(dir, pc)
}

func clonePiece(pc reassembly.Piece) reassembly.Piece {
	pc.Data = append([]byte(nil), pc.Data...)
	return pc
}

func (p *Parser) begin(reqDir reassembly.Direction) {
	p.state = Redis
	p.reqDir = reqDir
	p.sync = !p.joined
	p.synced = p.sync
	p.subKnown = !p.joined
	p.rd[reqDir] = reader{isReq: true, done: p.requestDone, started: p.requestStarted,
		lost: func(why string) { p.desync("requests: " + why) }}
	p.rd[reqDir^1] = reader{done: p.replyDone, lost: func(why string) { p.desync("replies: " + why) }}
	if p.joined {
		p.rd[0].st, p.rd[1].st = rsResync, rsResync
	}
}

func (p *Parser) queued() int { return len(p.q) - p.qh }

func (p *Parser) head() *pending {
	if p.qh == len(p.q) {
		return nil
	}
	return &p.q[p.qh]
}

func (p *Parser) pop() pending {
	h := p.q[p.qh]
	p.q[p.qh] = pending{}
	p.qh++
	if p.qh == len(p.q) {
		p.q, p.qh = p.q[:0], 0
	} else if p.qh > 64 && p.qh*2 > len(p.q) {
		n := copy(p.q, p.q[p.qh:])
		p.q, p.qh = p.q[:n], 0
	}
	return h
}

// requestStarted notes, when a command begins, what was outstanding.
func (p *Parser) requestStarted(f *frame) {
	p.piped = false
	for i := p.qh; i < len(p.q); i++ {
		if !p.q[i].noReply {
			p.piped = true
		}
	}
	rep := &p.rd[p.reqDir^1]
	p.quiet = !p.sync && f.atPieceStart && !p.everPip && !rep.open && rep.st == rsLine &&
		rep.lineLen == 0 && p.lastReplyEnd <= f.start
}

// unsynced is the reason a command or reply (what) is not matched while
// matching is off: a connection found mid-way that never synchronised is
// still joining (expected after the agent starts), else it lost framing.
func (p *Parser) unsynced(what string) string {
	if p.synced {
		return what + " while unsynchronised"
	}
	return what + " while joining"
}

// desync emits every waiting command Incomplete and stops matching.
func (p *Parser) desync(why string) {
	if p.sync {
		p.Stats.add(why)
	}
	p.sync = false
	p.subKnown, p.inMulti, p.replyOff, p.skipNext = false, false, false, false
	for p.head() != nil {
		h := p.pop()
		p.send(&h, nil, why)
	}
}

// send emits a command with its reply f, or Incomplete with reason.
func (p *Parser) send(h *pending, f *frame, reason string) {
	if h.dropped {
		p.Stats.add("command name not captured")
		return
	}
	x := h.x
	switch {
	case h.noReply:
		x.ReplyType = "none"
	case f != nil:
		x.ResponseEnd = f.end
		x.ResponseBytes += f.bytes
		if h.got == 0 {
			x.ResponseStart = f.start
			x.ReplyType, x.Error = replyType(f)
		}
	case h.got > 0 && (h.all || h.got >= h.want):
	case h.got > 0:
		x.Incomplete, x.Reason = true, "fewer confirmations than channels"
	default:
		x.Incomplete, x.Reason = true, reason
	}
	p.emit(x)
}

func replyType(f *frame) (string, string) {
	switch f.typ {
	case '+':
		if string(f.caps[0].b) == "QUEUED" {
			return "queued", ""
		}
		return "simple", ""
	case '-', '!':
		b := f.caps[0].b
		for i, c := range b {
			if c == '\r' || c == '\n' {
				b = b[:i]
				break
			}
		}
		return "error", string(b)
	case '$', '*':
		if f.count < 0 {
			return "null", ""
		}
		if f.typ == '$' {
			return "bulk", ""
		}
		return "array", ""
	}
	return typeNames[f.typ], ""
}

var typeNames = map[byte]string{':': "integer", '%': "map", '~': "set", '_': "null", ',': "double",
	'#': "boolean", '=': "verbatim", '(': "bignum", '>': "push"}

// Close ends the connection: commands without replies are emitted
// Incomplete.
func (p *Parser) Close() {
	if p.state != Redis {
		return
	}
	for p.head() != nil {
		h := p.pop()
		p.send(&h, nil, "closed before reply")
	}
}
