package http1

import "github.com/vigil-dev/vigil/internal/stream"

// phase is where a direction's parse stands.
type phase uint8

const (
	phSync       phase = iota // skipping to a message start at a syscall boundary
	phStart                   // right after a message: the next byte starts one
	phHead                    // in a header block
	phFixed                   // in a body of known length
	phChunked                 // in a chunked body
	phChunkLost               // in a chunked body whose framing was not seen
	phUntilClose              // in a body that ends with the connection
	phOpaque                  // nothing more to parse
)

// reader is the parse state of one direction.
type reader struct {
	dir  stream.Direction
	role role
	ph   phase

	msg       message
	head      []byte // header block so far, when it spans pieces
	scan      int    // where the search for a line end resumes in the block
	lineOK    bool   // the start line is complete and valid
	tentative bool   // found while resynchronising: a bad start is skipped, not an error
	origin    bool   // the message starts at stream offset 0
	remain    uint64 // body bytes left (phFixed)
	chunk     chunker
	tail      [8]byte // last captured bytes (phChunkLost), right-aligned
	tailN     int

	// Responses: the request the message answers, or none (orphan).
	bound       bool
	seq         uint64
	orphan      bool
	forceOrphan bool // stop waiting for a request: the next response is an orphan

	// After skipped or lost bytes, responses may be missing: the next one is
	// matched by time rather than by order (see Parser.bind).
	resynced bool
	reason   string // why, for the requests whose response is found lost
	skipped  uint64 // bytes skipped since the last message start

	held      []stream.Piece // pieces waiting for the other direction
	heldAt    int
	heldBytes int
	arena     []byte // copies of held data
	replaying bool
}

// message is the message in progress.
type message struct {
	active    bool
	headDone  bool
	start     uint64 // Start of the first syscall
	end       uint64 // End of the last syscall so far
	firstEnd  uint64 // End of the first syscall
	bytes     int64
	headBytes int64
	reason    string // set when the message is incomplete
}

func (p *Parser) begin(r *reader, pc stream.Piece, tentative bool) {
	r.msg = message{active: true, start: pc.Start, end: pc.End, firstEnd: pc.End}
	r.head, r.scan, r.lineOK = r.head[:0], 0, false
	r.tentative, r.origin = tentative, tentative && pc.Off == 0
	r.ph = phHead
}

func (p *Parser) consume(r *reader, pc stream.Piece, n uint64) {
	r.msg.bytes += int64(n)
	if pc.End != 0 {
		r.msg.end = pc.End
	}
}

// endMsg records the finished (or abandoned) message on its exchange.
func (p *Parser) endMsg(r *reader) {
	m := &r.msg
	if !m.headDone {
		m.headBytes = m.bytes
	}
	if e := p.boundEntry(r); e != nil {
		if r.role == roleReq {
			e.reqDone = true
			e.ex.RequestEnd, e.ex.RequestBytes, e.ex.RequestBodyBytes = m.end, m.bytes, m.bytes-m.headBytes
		} else {
			e.respDone = true
			if m.active {
				e.ex.ResponseStart, e.ex.ResponseEnd = m.start, m.end
				e.ex.ResponseBytes, e.ex.ResponseBodyBytes = m.bytes, m.bytes-m.headBytes
			}
		}
		if m.reason != "" {
			e.incomplete(m.reason)
		}
	} else if r.orphan {
		p.stats.Orphans++
	}
	r.msg, r.head = message{}, r.head[:0]
	r.bound, r.orphan, r.ph = false, false, phStart
	p.settle()
}

// abandon ends the message in progress as incomplete, reporting what was
// seen of it.
func (p *Parser) abandon(r *reader, reason string) {
	if !r.bound && (!r.msg.active || !r.lineOK) {
		p.dropCandidate(r)
		return
	}
	if r.msg.active && !r.msg.headDone && r.lineOK {
		if r.role == roleReq && !r.bound {
			// The head was cut: its complete lines still tell the request.
			if hd, _, ok := parseHead(r.head, true, true); ok {
				p.enqueue(r, &hd)
			}
		} else if e := p.boundEntry(r); e != nil && r.role == roleResp {
			if line, ok := firstLine(r.head); ok {
				if st, _, ok := statusLine(line); ok && st >= 200 {
					e.ex.Status = st
				}
			}
		}
	}
	if r.msg.reason == "" {
		r.msg.reason = reason
	}
	p.endMsg(r)
}

// dropCandidate forgets a message start that turned out not to be one.
func (p *Parser) dropCandidate(r *reader) {
	r.msg, r.head, r.ph = message{}, r.head[:0], phSync
	r.lineOK, r.orphan = false, false
}

// loseSync abandons the message in progress and looks for the next start.
func (p *Parser) loseSync(r *reader, reason string) {
	p.abandon(r, reason)
	r.ph, r.resynced, r.reason = phSync, true, reason
}

func (p *Parser) fail(r *reader, kind ErrorKind) {
	p.stats.Errors[kind]++
	p.loseSync(r, ReasonParseError)
}

// skip counts bytes passed over while looking for a message start, and
// gives up on a connection where none turns up.
func (p *Parser) skip(r *reader, n uint64) {
	r.skipped += n
	p.stats.SkippedBytes += n
	if !r.resynced {
		r.resynced = true
		if r.reason == "" {
			r.reason = ReasonJoined
		}
	}
	total := r.skipped
	if p.state == Detecting {
		total = p.rd[0].skipped + p.rd[1].skipped
	}
	if total > uint64(p.opts.MaxScanBytes) {
		p.stop(NotHTTPNoMessage)
	}
}

// finish ends r's message at connection close.
func (p *Parser) finish(r *reader, ts uint64) {
	switch r.ph {
	case phUntilClose:
		r.msg.end = max(r.msg.end, ts)
		p.endMsg(r)
	case phHead, phFixed, phChunked, phChunkLost:
		p.abandon(r, ReasonClosed)
	}
}

// pushTail keeps the last captured bytes of a body.
func (r *reader) pushTail(b []byte) {
	if len(b) >= len(r.tail) {
		copy(r.tail[:], b[len(b)-len(r.tail):])
	} else {
		copy(r.tail[:], r.tail[len(b):])
		copy(r.tail[len(r.tail)-len(b):], b)
	}
	r.tailN = min(r.tailN+len(b), len(r.tail))
}

// tailIsLastChunk reports whether the captured bytes end with a last chunk
// and the empty trailer, "0\r\n\r\n", that starts a line.
func (r *reader) tailIsLastChunk() bool {
	w := r.tail[len(r.tail)-r.tailN:]
	const last = "0\r\n\r\n"
	if len(w) < len(last) || string(w[len(w)-len(last):]) != last {
		return false
	}
	return len(w) == len(last) || w[len(w)-len(last)-1] == '\n'
}

func (r *reader) dropHeld() {
	clear(r.held)
	r.held, r.heldAt, r.heldBytes, r.arena = r.held[:0], 0, 0, r.arena[:0]
}

func (r *reader) holding() bool { return r.heldAt < len(r.held) }
