package dnswire

import (
	"encoding/binary"

	"github.com/vigil-dev/vigil/internal/reassembly"
)

// headCap is how much of a message is kept: enough for the header and
// the longest question (12+255+4) and the first records.
const headCap = 512

type tstate uint8

const (
	tsLen    tstate = iota // reading the 2-byte length
	tsMsg                  // inside a message
	tsResync               // framing lost: wait for a message start at a syscall boundary
)

// stream is one direction of the connection.
type stream struct {
	st         tstate
	lenBuf     [2]byte
	lenN       int
	total      int // length of the current message
	remain     int // its bytes still to come
	head       [headCap]byte
	hn         int
	hole       bool // bytes of the head were not captured: keep only what precedes
	start, end uint64
	// While resyncing, a syscall that moved exactly 2 bytes may be a
	// length written (or read) on its own, as Go's resolver reads it.
	prefix      [2]byte
	hasPrefix   bool
	prefixStart uint64
}

// TCPParser follows one TCP connection carrying DNS (RFC 1035 4.2.2,
// RFC 7766: several queries may be in flight, answered in any order). It
// is not safe for concurrent use.
type TCPParser struct {
	m      matcher
	joined bool
	good   bool // a message has parsed: the connection is DNS
	dead   bool // the connection is not DNS: ignore it
	s      [2]stream
	Stats  Stats
}

// NewTCPParser returns a parser for one connection; joined says capture
// began mid-way, so the first bytes may be inside a message.
func NewTCPParser(emit func(Exchange), joined bool) *TCPParser {
	p := &TCPParser{joined: joined}
	p.m = matcher{emit: emit, transport: "tcp", stats: &p.Stats}
	if joined {
		p.s[0].st, p.s[1].st = tsResync, tsResync
	}
	return p
}

// Feed takes the next in-order piece of one direction; its data is not
// retained.
func (p *TCPParser) Feed(dir reassembly.Direction, pc reassembly.Piece) {
	if p.dead {
		return
	}
	dir &= 1
	if pc.Lost > 0 {
		// A message whose last bytes were lost ended before this syscall.
		p.unknown(dir, pc.Lost, pc.Start)
	}
	p.data(dir, pc)
	if pc.Skipped > 0 && !p.dead {
		p.unknown(dir, uint64(pc.Skipped), pc.End)
	}
}

// unknown consumes n bytes whose content is not known.
func (p *TCPParser) unknown(dir reassembly.Direction, n uint64, end uint64) {
	s := &p.s[dir]
	s.hasPrefix = false
	for n > 0 && !p.dead {
		switch s.st {
		case tsResync:
			return
		case tsLen:
			p.lose(dir) // the next length is unknown
			return
		case tsMsg:
			k := min(n, uint64(s.remain))
			s.remain -= int(k)
			n -= k
			if s.hn < min(s.total, headCap) {
				s.hole = true
			}
			if s.remain == 0 {
				s.end = end
				p.finish(dir)
			}
		}
	}
}

func (p *TCPParser) data(dir reassembly.Direction, pc reassembly.Piece) {
	s := &p.s[dir]
	b := pc.Data
	if s.st == tsResync {
		if !p.resync(s, pc) {
			return
		}
	}
	for len(b) > 0 && !p.dead {
		switch s.st {
		case tsResync:
			return // resynchronise only where a syscall begins
		case tsLen:
			if s.lenN == 0 {
				s.start = pc.Start
			}
			s.lenBuf[s.lenN] = b[0]
			s.lenN++
			b = b[1:]
			if s.lenN == 2 {
				s.lenN = 0
				p.begin(s, int(binary.BigEndian.Uint16(s.lenBuf[:])))
				if s.total < headerLen {
					p.reject(dir, errShort)
					return
				}
			}
		case tsMsg:
			k := min(len(b), s.remain)
			if !s.hole && s.hn < headCap {
				s.hn += copy(s.head[s.hn:], b[:k])
			}
			s.remain -= k
			b = b[k:]
			if s.remain == 0 {
				s.end = pc.End
				p.finish(dir)
			}
		}
	}
}

func (p *TCPParser) begin(s *stream, length int) {
	s.st, s.total, s.remain, s.hn, s.hole = tsMsg, length, length, 0, false
}

// resync decides whether pc begins a message: a plausible header and
// question behind a length, in pc or after a 2-byte piece just before.
func (p *TCPParser) resync(s *stream, pc reassembly.Piece) bool {
	if s.hasPrefix && pc.Lost == 0 {
		s.hasPrefix = false
		var buf [2 + headCap]byte
		buf[0], buf[1] = s.prefix[0], s.prefix[1]
		n := copy(buf[2:], pc.Data)
		if _, ok := Detect(buf[:2+n], true); ok {
			p.begin(s, int(binary.BigEndian.Uint16(buf[:])))
			s.start = s.prefixStart
			return true
		}
	}
	s.hasPrefix = false
	if len(pc.Data) == 2 && pc.Skipped == 0 {
		s.prefix = [2]byte(pc.Data)
		s.hasPrefix, s.prefixStart = true, pc.Start
		return false
	}
	if _, ok := Detect(pc.Data, true); ok {
		s.st, s.lenN = tsLen, 0
		return true
	}
	return false
}

// lose gives up on the framing of one direction.
func (p *TCPParser) lose(dir reassembly.Direction) {
	p.Stats.add(ReasonFramingLost)
	p.s[dir].st, p.s[dir].lenN = tsResync, 0
}

// reject counts a message that is not DNS. Before any message parsed, on
// a connection seen from its start, that means the connection is not
// DNS; otherwise the framing is not trusted any more.
func (p *TCPParser) reject(dir reassembly.Direction, why string) {
	p.Stats.add(why)
	if !p.good && !p.joined {
		p.dead = true
		p.Stats.add(ReasonNotDNS)
		return
	}
	p.lose(dir)
}

func (p *TCPParser) finish(dir reassembly.Direction) {
	s := &p.s[dir]
	s.st = tsLen
	var m message
	if why := parse(s.head[:s.hn], s.total, &m); why != "" {
		if why == ReasonHeadNotCaptured || why == ReasonQuestionNotCaught {
			p.Stats.add(why) // the framing still holds
			return
		}
		p.reject(dir, why)
		return
	}
	p.good = true
	bytes := int64(s.total) + 2
	if m.response() {
		p.m.response(dir, &m, s.start, s.end, bytes)
	} else {
		p.m.query(dir, &m, s.start, s.end, bytes)
	}
}

// Expire ends, as Incomplete "no response", the queries last sent timeout
// ns or more before now.
func (p *TCPParser) Expire(now, timeout uint64) { p.m.expire(now, timeout) }

// Close ends the connection: queries still waiting end Incomplete.
func (p *TCPParser) Close() {
	if p.dead {
		return
	}
	for i := range p.s {
		if s := &p.s[i]; s.st == tsMsg || (s.st == tsLen && s.lenN > 0) {
			p.Stats.add(ReasonClosedMidMessage)
		}
	}
	p.m.flush(ReasonClosed)
}

// Dead tells whether the connection was found not to be DNS.
func (p *TCPParser) Dead() bool { return p.dead }
