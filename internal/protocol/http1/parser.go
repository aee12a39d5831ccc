package http1

import (
	"bytes"

	"github.com/vigil-dev/vigil/internal/stream"
)

// Options bound the parser's memory and scanning. Zero values take the
// defaults.
type Options struct {
	MaxHeaderBytes int   // largest header block parsed; default 16 KiB
	MaxScanBytes   int64 // bytes skipped looking for a message start before giving up; default 4 MiB
	MaxPending     int   // requests awaiting their response; default 64
	MaxHoldBytes   int   // bytes of one direction held while it waits for the other; default 64 KiB
	// FromStart says the streams begin where the connection began, so the
	// first bytes must start an HTTP message: anything else is NotHTTP at
	// once instead of after MaxScanBytes.
	FromStart bool
}

// Defaults for Options.
const (
	DefaultMaxHeaderBytes = 16 << 10
	DefaultMaxScanBytes   = 4 << 20
	DefaultMaxPending     = 64
	DefaultMaxHoldBytes   = 64 << 10
	maxHeldPieces         = 1024
)

// Parser follows the HTTP/1.x exchanges of one connection. It is not safe
// for concurrent use, and emit must not call back into it.
type Parser struct {
	opts      Options
	emit      func(Exchange)
	state     State
	closing   bool
	closed    bool
	reqDir    stream.Direction
	rd        [2]reader
	q         queue
	await     bool   // request awaitSeq may switch protocols: later request bytes wait for its status
	awaitSeq  uint64 // sequence number of that request
	orphanEnd uint64 // latest first-syscall End of a response dropped without a request to compare with
	stats     Stats
	scratch   []byte
}

// NewParser returns a parser with default options that passes every
// exchange to emit.
func NewParser(emit func(Exchange)) *Parser { return New(Options{}, emit) }

// New returns a parser with the given options.
func New(o Options, emit func(Exchange)) *Parser {
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if o.MaxScanBytes <= 0 {
		o.MaxScanBytes = DefaultMaxScanBytes
	}
	if o.MaxPending <= 0 {
		o.MaxPending = DefaultMaxPending
	}
	if o.MaxHoldBytes <= 0 {
		o.MaxHoldBytes = DefaultMaxHoldBytes
	}
	p := &Parser{opts: o, emit: emit}
	p.rd[stream.Ingress].dir = stream.Ingress
	p.rd[stream.Egress].dir = stream.Egress
	return p
}

// State tells whether the connection is (still) parsed as HTTP.
func (p *Parser) State() State { return p.state }

// Stats returns the counters.
func (p *Parser) Stats() Stats { return p.stats }

// Feed gives the parser the next piece of one direction, as a
// stream.Reassembler emits it. Pieces of each direction must come in order;
// the two directions may interleave in any order: a response seen before
// its request is held (bounded) until the request arrives.
func (p *Parser) Feed(dir stream.Direction, pc stream.Piece) {
	if p.stopped() || dir > stream.Egress || pc.Len() == 0 {
		return
	}
	r := &p.rd[dir]
	if r.holding() {
		p.hold(r, pc)
		return
	}
	if n, blocked := p.feed(r, pc); blocked {
		p.hold(r, pc.Advance(n))
	}
}

// Close ends the connection at ts (CLOCK_MONOTONIC ns): a response delimited
// by the close ends, everything else still open is emitted as Incomplete.
func (p *Parser) Close(ts uint64) {
	if p.closed {
		return
	}
	p.closing = true
	if !p.stopped() {
		order := [2]stream.Direction{stream.Ingress, stream.Egress}
		if p.state == HTTP {
			order = [2]stream.Direction{p.reqDir, p.reqDir.Opposite()}
			// Bytes held behind an unanswered upgrade are not known to be HTTP.
			p.await = false
			p.rd[p.reqDir].dropHeld()
		}
		for _, d := range order {
			p.resume(&p.rd[d])
		}
		for _, d := range order {
			p.finish(&p.rd[d], ts)
		}
	}
	p.finishAll(ReasonNoResponse)
	p.closed = true
}

func (p *Parser) stopped() bool {
	return p.closed || p.state == NotHTTP || p.state == Upgraded
}

// feed runs pc through r's state machine. It returns early, blocked, when
// r has to wait for the other direction.
func (p *Parser) feed(r *reader, pc stream.Piece) (uint64, bool) {
	size := pc.Len()
	var pos uint64
	for pos < size && !p.stopped() {
		ph := r.ph
		var n uint64
		if pc.Gap > 0 {
			n = p.gap(r, pc, size-pos)
		} else {
			k, blocked := p.data(r, pc, int(pos))
			if blocked {
				return pos, true
			}
			n = uint64(k)
		}
		if n == 0 && r.ph == ph {
			n = size - pos // a state that takes nothing must not spin
		}
		pos += n
	}
	return size, false
}

func (p *Parser) data(r *reader, pc stream.Piece, pos int) (int, bool) {
	b := pc.Data[pos:]
	first := pc.First && pos == 0
	switch r.ph {
	case phSync:
		return p.syncData(r, pc, b, first)
	case phStart:
		return p.startData(r, pc, b)
	case phHead:
		return p.headData(r, pc, b, first), false
	case phFixed:
		return int(p.fixed(r, pc, uint64(len(b)))), false
	case phChunked:
		return p.chunkData(r, pc, b), false
	case phChunkLost:
		return p.chunkLostData(r, pc, b, first), false
	case phUntilClose:
		p.consume(r, pc, uint64(len(b)))
	}
	return len(b), false
}

// gap handles n bytes that were not seen.
func (p *Parser) gap(r *reader, pc stream.Piece, n uint64) uint64 {
	switch r.ph {
	case phSync:
		p.skip(r, n)
		return n
	case phStart:
		p.loseSync(r, gapReason(pc, ReasonNotCaptured))
		return 0
	case phHead:
		return p.headGap(r, pc, n)
	case phFixed:
		return p.fixed(r, pc, n)
	case phChunked:
		if k := r.chunk.gap(n); k > 0 {
			p.consume(r, pc, k)
			return k
		}
		r.ph, r.tailN = phChunkLost, 0
		r.msg.reason = gapReason(pc, ReasonChunkFraming)
		return 0
	case phChunkLost:
		r.tailN = 0
		p.consume(r, pc, n)
	case phUntilClose:
		p.consume(r, pc, n)
	}
	return n
}

func gapReason(pc stream.Piece, notCaptured string) string {
	if pc.Lost {
		return ReasonLost
	}
	return notCaptured
}

// syncData looks for a message start at a syscall boundary.
func (p *Parser) syncData(r *reader, pc stream.Piece, b []byte, first bool) (int, bool) {
	if first && p.state == Detecting && p.rejects(pc, b) {
		return len(b), false
	}
	if !first || sniff(b, r.role) == vNo {
		p.skip(r, uint64(len(b)))
		return len(b), false
	}
	// In Detecting a status line shows its direction before it is complete.
	maybeResp := r.role == roleUnknown && bytes.HasPrefix(b, []byte("HTTP/"))
	if p.mustWait(r) || (maybeResp && !p.ready(r)) {
		return 0, true
	}
	p.begin(r, pc, true)
	return 0, false
}

// rejects stops the parser on first bytes that rule HTTP/1.x out.
func (p *Parser) rejects(pc stream.Piece, b []byte) bool {
	switch {
	case isHTTP2Preface(b):
		p.stop(NotHTTPHTTP2)
	case pc.Off != 0:
		return false
	case looksTLS(b):
		p.stop(NotHTTPTLS)
	case p.opts.FromStart && sniff(b, roleUnknown) == vNo:
		p.stop(NotHTTPFirstBytes)
	default:
		return false
	}
	return true
}

// startData begins the next message right after the previous one.
func (p *Parser) startData(r *reader, pc stream.Piece, b []byte) (int, bool) {
	if b[0] == '\r' || b[0] == '\n' {
		return 1, false // stray line ends between messages are allowed
	}
	if p.mustWait(r) {
		return 0, true
	}
	p.begin(r, pc, false)
	return 0, false
}

// fixed consumes up to n bytes of a body of known length.
func (p *Parser) fixed(r *reader, pc stream.Piece, n uint64) uint64 {
	k := min(n, r.remain)
	p.consume(r, pc, k)
	if r.remain -= k; r.remain == 0 {
		p.endMsg(r)
	}
	return k
}

func (p *Parser) chunkData(r *reader, pc stream.Piece, b []byte) int {
	n := r.chunk.data(b)
	p.consume(r, pc, uint64(n))
	switch r.chunk.st {
	case csDone:
		p.endMsg(r)
	case csBad:
		p.fail(r, ErrChunk)
	}
	return n
}

// chunkLostData follows a chunked body whose framing fell into a gap. The
// body is taken to end at the end of a syscall whose captured bytes end with
// the last chunk, or just before a syscall that starts a new message.
func (p *Parser) chunkLostData(r *reader, pc stream.Piece, b []byte, first bool) int {
	if first && sniff(b, r.role) != vNo {
		p.abandon(r, r.msg.reason)
		r.ph = phSync
		return 0
	}
	p.consume(r, pc, uint64(len(b)))
	r.pushTail(b)
	if pc.Last && r.tailIsLastChunk() {
		p.abandon(r, r.msg.reason)
	}
	return len(b)
}
