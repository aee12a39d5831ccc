package httpwire

import (
	"bytes"

	"github.com/vigil-dev/vigil/internal/reassembly"
)

// h2Preface opens every HTTP/2 connection; its first line looks like a
// request line, so it is told apart before anything else.
var h2Preface = []byte("PRI * HTTP/2.0\r\n")

// maxQueued bounds requests waiting for their responses (pipelining).
const maxQueued = 256

// detectLimit is how many bytes of a direction are examined before a
// connection that never showed a message start is declared not HTTP.
const detectLimit = 64 << 10

// Parser follows one connection. It is not safe for concurrent use.
type Parser struct {
	emit     func(Exchange)
	state    State
	joined   bool // the connection began before capture: resync is expected
	asked    bool // a request was seen (see responseDone)
	reqDir   reassembly.Direction
	halves   [2]*half // by direction, once known
	queue    []message
	interim  message // 1xx responses before the final one
	hasInt   bool
	early    message // a response that came before its request (see responseDone)
	hasEarly bool
	seen     [2]uint64 // bytes looked at while detecting
	pending  [2][]reassembly.Piece
	Stats    Stats
}

// NewParser returns a parser for a connection; joined says it was found
// mid-way, so its first bytes may be the middle of a message.
func NewParser(emit func(Exchange), joined bool) *Parser {
	return &Parser{emit: emit, joined: joined}
}

// State tells whether the connection is (still) HTTP.
func (p *Parser) State() State { return p.state }

// Feed takes the next in-order piece of one direction. The piece's data is
// not retained.
func (p *Parser) Feed(dir reassembly.Direction, pc reassembly.Piece) {
	switch p.state {
	case StateNotHTTP, StateUpgraded:
		return
	case StateDetecting:
		p.detect(dir&1, pc)
		return
	}
	p.halves[dir&1].piece(pc)
}

// detect looks for the first message start at a piece boundary.
func (p *Parser) detect(dir reassembly.Direction, pc reassembly.Piece) {
	p.seen[dir] += uint64(len(pc.Data)) + uint64(pc.Skipped) + pc.Lost
	if bytes.HasPrefix(pc.Data, h2Preface) {
		p.Stats.add("http/2") // h2c: for the HTTP/2 parser, not this one
		p.state = StateNotHTTP
		return
	}
	if len(p.pending[dir]) >= 64 {
		p.pending[dir] = nil // a head this fragmented is not judged: start over
	}
	if len(p.pending[dir]) > 0 && pc.Lost == 0 {
		// Continue a head split in tiny writes.
		p.pending[dir] = append(p.pending[dir], clonePiece(pc))
		if !p.judgePending(dir) {
			p.giveUpIfLong(dir)
		}
		return
	}
	switch classify(pc.Data[:min(len(pc.Data), 24)]) {
	case startRequest:
		p.begin(dir)
	case startResponse:
		p.begin(dir ^ 1)
	case startUnsure:
		if len(pc.Data) > 0 && pc.Lost == 0 && len(p.pending[dir]) < 64 {
			// A message head split in tiny writes: judge once more arrives.
			p.pending[dir] = append(p.pending[dir], clonePiece(pc))
			if p.judgePending(dir) {
				return
			}
		}
		p.giveUpIfLong(dir)
		return
	default:
		if !p.joined {
			p.Stats.add("not http")
			p.state = StateNotHTTP
			return
		}
		p.pending[dir] = p.pending[dir][:0]
		p.giveUpIfLong(dir)
		return
	}
	// Replay what was held (it precedes pc), then pc.
	p.halves[dir].piece(pc)
}

func (p *Parser) giveUpIfLong(dir reassembly.Direction) {
	if p.seen[dir] > detectLimit && p.state == StateDetecting {
		p.Stats.add("no http message start")
		p.state = StateNotHTTP
	}
}

// judgePending classifies the concatenation of held tiny pieces.
func (p *Parser) judgePending(dir reassembly.Direction) bool {
	var b []byte
	for _, pc := range p.pending[dir] {
		b = append(b, pc.Data...)
		if len(b) >= 24 {
			break
		}
	}
	held := p.pending[dir]
	switch classify(b) {
	case startRequest:
		p.begin(dir)
	case startResponse:
		p.begin(dir ^ 1)
	case startNone:
		p.pending[dir] = nil
		if !p.joined {
			p.Stats.add("not http")
			p.state = StateNotHTTP
		}
		return true
	default:
		return false
	}
	for _, pc := range held {
		p.halves[dir].piece(pc)
	}
	return true
}

func clonePiece(pc reassembly.Piece) reassembly.Piece {
	pc.Data = append([]byte(nil), pc.Data...)
	return pc
}

// begin sets the request direction and builds both halves.
func (p *Parser) begin(reqDir reassembly.Direction) {
	p.state = StateHTTP
	p.reqDir = reqDir
	req := &half{isReq: true, stats: &p.Stats, done: p.requestDone}
	resp := &half{stats: &p.Stats, done: p.responseDone, bodyMode: p.responseBody}
	// A response whose framing was lost ends, at the latest, when the
	// client sends its next request (unless requests are pipelined).
	req.onStart = func() {
		if resp.open && resp.st == stResync && len(p.queue) == 1 {
			resp.finish(true, "framing lost")
		}
	}
	// A request whose head was partly not captured ends, at the latest,
	// when its response begins.
	resp.onStart = func() {
		if req.open && req.st == stHead && req.headGap {
			req.finishGappedHead()
		}
	}
	// A response seen before any request has no partner: skip to the next.
	resp.st = stStart
	p.halves[reqDir] = req
	p.halves[reqDir^1] = resp
	p.pending = [2][]reassembly.Piece{}
}

func (p *Parser) requestDone(m *message) {
	if m.method == "" {
		p.Stats.add("request head not seen")
		return
	}
	if len(p.queue) >= maxQueued {
		p.Stats.add("too many pipelined requests")
		old := p.pop()
		p.send(&old, nil, "no response before later requests")
	}
	p.queue = append(p.queue, *m)
	p.asked = true
	if p.hasEarly && len(p.queue) == 1 {
		early := p.early
		p.early, p.hasEarly = message{}, false
		p.responseDone(&early)
	}
}

// pop takes the oldest queued request. An emptied queue restarts at its
// array's beginning, so keep-alive traffic appends without allocating.
func (p *Parser) pop() message {
	m := p.queue[0]
	if len(p.queue) == 1 {
		p.queue[0] = message{} // its strings are the exchange's now
		p.queue = p.queue[:0]
	} else {
		p.queue = p.queue[1:]
	}
	return m
}

// responseBody decides a response's framing (RFC 9112 section 6.3).
func (p *Parser) responseBody(h *head) hstate {
	method := ""
	if len(p.queue) > 0 {
		method = p.queue[0].method
	}
	switch {
	case h.status >= 100 && h.status < 200, h.status == 204, h.status == 304, method == "HEAD":
		return stStart
	case method == "CONNECT" && h.status >= 200 && h.status < 300:
		return stStart
	case h.chunked:
		return stChunkSize
	case h.contentLength >= 0:
		if h.contentLength == 0 {
			return stStart
		}
		return stBody
	}
	return stUntilClose
}

func (p *Parser) responseDone(m *message) {
	if m.status >= 100 && m.status < 200 && m.status != 101 {
		// Interim: its bytes and start belong to the final response.
		if !p.hasInt {
			p.interim, p.hasInt = *m, true
		} else {
			p.interim.bytes += m.bytes
		}
		return
	}
	if p.hasInt {
		m.bytes += p.interim.bytes
		m.start, m.firstEnd = p.interim.start, p.interim.firstEnd
		p.hasInt = false
	}
	if len(p.queue) == 0 {
		// On a connection seen from its start a response cannot precede
		// its request, but its event can: events are queued when each call
		// ends, and a writing thread can end after another has read the
		// answer. It waits for the next request; a second response, or
		// the end, shows it had none.
		if p.hasEarly {
			p.Stats.add("response without request")
		}
		if p.joined {
			// Before any request, it answers one sent before capture
			// began: expected after the agent (re)starts, and counted
			// apart from a real mismatch.
			if p.asked {
				p.Stats.add("response without request")
			} else {
				p.Stats.add("response to a request from before capture")
			}
			return
		}
		p.early, p.hasEarly = *m, true
		return
	}
	req := p.pop()
	if m.status == 0 { // its head was not seen: the request went unanswered as far as we know
		p.Stats.add("response head not seen")
		p.send(&req, nil, "response head not seen")
		return
	}
	p.send(&req, m, "")
	if m.status == 101 || (req.method == "CONNECT" && m.status >= 200 && m.status < 300) {
		p.state = StateUpgraded
	}
}

// send emits one exchange; resp is nil when none came.
func (p *Parser) send(req, resp *message, reason string) {
	x := Exchange{
		Method: req.method, Target: req.target, Host: req.host, Version: req.version,
		RequestBytes: req.bytes, RequestBodyBytes: req.bodyBytes,
		Traceparent: req.traceparent, Tracestate: req.tracestate,
		RequestDir:   p.reqDir,
		RequestStart: req.start, RequestFirstEnd: req.firstEnd, RequestEnd: req.end,
		Incomplete: req.incomplete, Reason: req.reason,
	}
	if resp == nil {
		x.Incomplete, x.Reason = true, reason
	} else {
		x.Status = resp.status
		x.ResponseBytes, x.ResponseBodyBytes = resp.bytes, resp.bodyBytes
		x.ResponseStart, x.ResponseFirstEnd, x.ResponseEnd = resp.start, resp.firstEnd, resp.end
		x.Upgraded = resp.status == 101 || (req.method == "CONNECT" && resp.status < 300)
		if resp.incomplete && !x.Incomplete {
			x.Incomplete, x.Reason = true, resp.reason
		}
	}
	p.emit(x)
}

// Close ends the connection at monotonic time ts: a response delimited by
// the close completes; requests left without a response are emitted as
// incomplete.
func (p *Parser) Close(ts uint64) {
	if p.state != StateHTTP {
		return
	}
	p.halves[p.reqDir].close()
	p.halves[p.reqDir^1].close()
	if p.hasEarly {
		p.Stats.add("response without request")
		p.hasEarly = false
	}
	for len(p.queue) > 0 {
		req := p.pop()
		p.send(&req, nil, "connection closed before the response")
	}
	_ = ts
}
