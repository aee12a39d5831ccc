package h2

import (
	"bytes"

	"github.com/vigil-dev/vigil/internal/reassembly"
)

// detectLimit is how many bytes of a joined connection are examined for a
// frame boundary before it is declared not HTTP/2.
const detectLimit = 64 << 10

// side is one direction of a stream.
type side struct {
	seen        bool
	end         bool // END_STREAM seen
	bytes       int64
	start, last uint64
}

// stream is an open stream.
type stream struct {
	x       Exchange
	side    [2]side // by direction
	reqSeen bool    // the request head was decoded
	lost    string  // header values cannot be trusted: why
	reason  string  // another reason it is incomplete
}

// held is a piece kept while the connection start is judged.
type held struct {
	dir reassembly.Direction
	pc  reassembly.Piece
}

// Parser follows one connection. It is not safe for concurrent use.
type Parser struct {
	emit     func(Exchange)
	state    State
	joined   bool
	reqDir   reassembly.Direction
	dirKnown bool
	halves   [2]*half
	open     []*stream // by creation order
	free     []*stream
	maxID    [2]uint32 // highest stream id seen, by parity
	goAway   [2]uint32 // last stream id processed, by initiator parity
	hasGoA   [2]bool
	maxFrame uint32 // largest SETTINGS_MAX_FRAME_SIZE announced

	head  [2][]byte // first bytes of each direction, while detecting
	held  []held
	nheld int
	seen  uint64
	Stats Stats
}

// NewParser returns a parser for a connection; joined says it was found
// mid-way, so its HPACK state is unknown and its first bytes may be the
// middle of a frame.
func NewParser(emit func(Exchange), joined bool) *Parser {
	return &Parser{emit: emit, joined: joined, maxFrame: 16384}
}

// State tells whether the connection is (still) HTTP/2.
func (p *Parser) State() State { return p.state }

// Feed takes the next in-order piece of one direction. The piece's data is
// not retained.
func (p *Parser) Feed(dir reassembly.Direction, pc reassembly.Piece) {
	dir &= 1
	switch p.state {
	case NotH2:
		return
	case Detecting:
		p.detect(dir, pc)
		return
	}
	p.halves[dir].piece(pc)
}

func (p *Parser) notH2(reason string) {
	p.Stats.add(reason)
	p.state = NotH2
	p.held, p.head = nil, [2][]byte{}
}

// detect waits for the client preface. The server's SETTINGS may come
// first (it need not wait for the preface): it is held and replayed.
func (p *Parser) detect(dir reassembly.Direction, pc reassembly.Piece) {
	if p.joined || pc.Lost > 0 {
		p.joined = true // the start of a direction was not seen
		p.held, p.head = nil, [2][]byte{}
		p.detectJoined(dir, pc)
		return
	}
	p.head[dir] = append(p.head[dir], pc.Data[:min(len(pc.Data), len(Preface)-len(p.head[dir]))]...)
	isClient, ok, sure := Detect(p.head[dir])
	switch {
	case !ok:
		p.notH2("not h2")
		return
	case !sure && pc.Skipped > 0:
		p.notH2("connection start not captured")
		return
	}
	pc.Data = append([]byte(nil), pc.Data...)
	p.held = append(p.held, held{dir, pc})
	p.nheld += len(pc.Data)
	if sure && isClient {
		p.begin(dir, false)
		return
	}
	if len(p.held) > 1024 || p.nheld > detectLimit {
		p.notH2("no client preface")
	}
}

// detectJoined looks for a syscall that starts with frames.
func (p *Parser) detectJoined(dir reassembly.Direction, pc reassembly.Piece) {
	switch {
	case pc.Lost == 0 && bytes.HasPrefix(pc.Data, []byte(Preface)):
		// The connection did start here after all: nothing is unknown.
		p.joined = false
		p.held = []held{{dir, pc}}
		p.begin(dir, false)
	case plausibleChain(pc.Data, p.maxFrame):
		p.begin(0, true)
		p.halves[dir].piece(pc)
	default:
		p.seen += pc.Lost + uint64(len(pc.Data)+pc.Skipped)
		if p.seen > detectLimit {
			p.notH2("no frame boundary found")
		}
	}
}

// begin starts framing; reqDir is the client's direction unless joined.
func (p *Parser) begin(reqDir reassembly.Direction, joined bool) {
	p.state = H2
	lost := ""
	if joined {
		lost = ReasonJoined
	} else {
		p.reqDir, p.dirKnown = reqDir, true
	}
	p.halves = [2]*half{newHalf(p, 0, lost), newHalf(p, 1, lost)}
	if !joined {
		p.halves[reqDir].preface = len(Preface)
	}
	hs := p.held
	p.held, p.head = nil, [2][]byte{}
	for _, h := range hs {
		p.halves[h.dir].piece(h.pc)
	}
}

// setRequestDir learns the client's direction from a header block.
func (p *Parser) setRequestDir(dir reassembly.Direction, isRequest bool) {
	p.reqDir, p.dirKnown = dir, true
	if !isRequest {
		p.reqDir = dir ^ 1
	}
}

// setting applies one SETTINGS entry sent in direction dir.
func (p *Parser) setting(dir reassembly.Direction, id uint16, v uint32) {
	switch id {
	case 0x1: // HEADER_TABLE_SIZE: bounds the table the sender decodes with
		// It is only ever raised: the encoder must shrink the table
		// explicitly, and across directions the order seen may differ
		// from the order the peer acted in.
		h := p.halves[dir^1]
		if v = min(v, maxTableSize); v > h.allowed {
			h.allowed = v
			if h.dec != nil {
				h.dec.SetAllowedMaxDynamicTableSize(v)
			}
		}
	case 0x5: // MAX_FRAME_SIZE
		if v > p.maxFrame && v < 1<<24 {
			p.maxFrame = v
		}
	}
}

func (p *Parser) find(id uint32) *stream {
	for i := len(p.open) - 1; i >= 0; i-- {
		if p.open[i].x.StreamID == id {
			return p.open[i]
		}
	}
	return nil
}

func (p *Parser) create(id uint32) *stream {
	if len(p.open) >= maxOpenStreams {
		p.Stats.add(ReasonEvicted)
		p.finish(p.open[0], ReasonEvicted)
	}
	var s *stream
	if n := len(p.free); n > 0 {
		s, p.free = p.free[n-1], p.free[:n-1]
	} else {
		s = new(stream)
	}
	s.x.StreamID, s.x.GRPCStatus = id, -1
	p.maxID[id&1] = max(p.maxID[id&1], id)
	if p.hasGoA[id&1] && id > p.goAway[id&1] {
		s.reason = ReasonGoAway
	}
	p.open = append(p.open, s)
	return s
}

// onHeaders takes a finished header block of h.
func (p *Parser) onHeaders(dir reassembly.Direction, h *half, end uint64) {
	bad := h.dec == nil || h.blkDamaged
	if h.blkPush {
		id := h.blkPromised
		if id == 0 || p.find(id) != nil {
			p.Stats.add("PUSH_PROMISE not usable")
			return
		}
		// A pushed stream: the promise is its request, on the client's side.
		s := p.create(id)
		s.side[dir^1] = side{seen: true, end: true, start: h.blkStart, last: end}
		if bad {
			s.lost = h.lost
		} else {
			s.applyRequest(&h.blk)
			s.reqSeen = true
		}
		return
	}
	id := h.blkStream
	s := p.find(id)
	if s == nil {
		if id == 0 || (p.dirKnown && id <= p.maxID[id&1]) {
			p.Stats.add("HEADERS on a closed stream")
			return
		}
		s = p.create(id)
		if rq := p.halves[p.reqDir]; p.dirKnown && dir != p.reqDir && rq.dec == nil {
			s.lost = rq.lost // its request head may have been in what was lost
		}
	}
	sd := &s.side[dir]
	if !sd.seen {
		sd.seen, sd.start = true, h.blkStart
	}
	sd.last = end
	switch {
	case bad:
		if s.lost == "" {
			s.lost = h.lost
		}
	case !p.dirKnown:
	case dir == p.reqDir:
		if !s.reqSeen { // later blocks are trailers
			s.applyRequest(&h.blk)
			s.reqSeen = true
		}
	default:
		s.applyResponse(&h.blk)
	}
	if h.blkEnd {
		sd.end = true
		p.maybeFinish(s)
	}
}

func (p *Parser) onData(dir reassembly.Direction, id uint32, n int64, endStream bool, start, end uint64) {
	s := p.find(id)
	if s == nil {
		if id != 0 {
			p.Stats.add("DATA on an unknown stream")
		}
		return
	}
	sd := &s.side[dir]
	if !sd.seen {
		sd.seen, sd.start = true, start
	}
	sd.last = end
	sd.bytes += n
	if endStream {
		sd.end = true
		p.maybeFinish(s)
	}
}

// onReset ends a stream; a response already complete stays complete (a
// server may reset a stream whose request it no longer needs).
func (p *Parser) onReset(dir reassembly.Direction, id uint32, end uint64) {
	s := p.find(id)
	if s == nil {
		return
	}
	p.Stats.add("stream reset")
	if p.dirKnown && s.side[p.reqDir^1].end {
		p.finish(s, "")
		return
	}
	p.finish(s, ReasonReset)
}

// onGoAway: streams the receiver opened above last were not processed.
func (p *Parser) onGoAway(dir reassembly.Direction, last uint32) {
	if !p.dirKnown {
		p.Stats.add("GOAWAY with the client unknown")
		return
	}
	parity := uint32(1) // sent by the server: the client's odd streams
	if dir == p.reqDir {
		parity = 0
	}
	p.goAway[parity], p.hasGoA[parity] = last, true
	for _, s := range append([]*stream(nil), p.open...) {
		if s.x.StreamID&1 == parity && s.x.StreamID > last {
			p.finish(s, ReasonGoAway)
		}
	}
}

// framingLost: streams still sending in dir may have lost header blocks.
func (p *Parser) framingLost(dir reassembly.Direction) {
	for _, s := range append([]*stream(nil), p.open...) {
		if !s.side[dir].end && s.lost == "" {
			s.lost = ReasonHPACKLost
		}
		p.maybeFinish(s)
	}
}

// maybeFinish emits a stream once both sides ended, or once its response
// ended if its request can no longer be followed.
func (p *Parser) maybeFinish(s *stream) {
	if !p.dirKnown {
		if s.side[0].end && s.side[1].end {
			p.finish(s, "")
		}
		return
	}
	if s.side[p.reqDir^1].end && (s.side[p.reqDir].end || s.lost != "" || !s.reqSeen) {
		p.finish(s, "")
	}
}

// finish removes s and emits its exchange.
func (p *Parser) finish(s *stream, reason string) {
	for i, o := range p.open {
		if o == s {
			p.open = append(p.open[:i], p.open[i+1:]...)
			break
		}
	}
	if p.dirKnown {
		p.emit(p.exchange(s, reason))
	} else {
		p.Stats.add("client side unknown")
	}
	*s = stream{}
	p.free = append(p.free, s)
}

func (p *Parser) exchange(s *stream, reason string) Exchange {
	x := s.x
	rq, rs := &s.side[p.reqDir], &s.side[p.reqDir^1]
	x.RequestDir = p.reqDir
	x.RequestBytes, x.ResponseBytes = rq.bytes, rs.bytes
	x.RequestStart, x.RequestEnd = rq.start, rq.last
	x.ResponseStart, x.ResponseEnd = rs.start, rs.last
	switch {
	case s.lost != "":
		reason = s.lost
	case !s.reqSeen:
		reason = ReasonNoRequest
	case reason == "" && s.reason != "":
		reason = s.reason
	case reason == "" && x.Status == 0:
		reason = ReasonNoResponse
	}
	if s.lost != "" || !s.reqSeen {
		// Never report values from a table that is not known.
		x = Exchange{StreamID: x.StreamID, GRPCStatus: -1, RequestDir: x.RequestDir,
			RequestBytes: x.RequestBytes, ResponseBytes: x.ResponseBytes,
			RequestStart: x.RequestStart, RequestEnd: x.RequestEnd,
			ResponseStart: x.ResponseStart, ResponseEnd: x.ResponseEnd}
	}
	if x.GRPC {
		x.GRPCService, x.GRPCMethod = grpcName(x.Path)
	}
	x.Incomplete, x.Reason = reason != "", reason
	return x
}

// Close ends the connection at monotonic time ts: streams still open are
// emitted, Incomplete unless their response had ended.
func (p *Parser) Close(ts uint64) {
	if p.state != H2 {
		return
	}
	for len(p.open) > 0 {
		s := p.open[0]
		if p.dirKnown && s.side[p.reqDir^1].end {
			p.finish(s, "")
		} else {
			p.finish(s, ReasonClosed)
		}
	}
	_ = ts // times come from the syscalls; the close adds nothing reliable
}
