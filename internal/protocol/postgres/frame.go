package postgres

import (
	"encoding/binary"

	"github.com/vigil-dev/vigil/internal/reassembly"
)

// msg is one framed message. body holds the captured head of the message
// body, at most what the parser asked for; it is valid only during the
// callback.
type msg struct {
	typ        byte // 0 for the untyped startup-phase messages
	answer     bool // the one-byte answer to SSLRequest/GSSENCRequest
	body       []byte
	length     int64 // body length
	partial    bool  // part of the wanted body was not captured
	start, end uint64
}

// size is the message's length on the wire.
func (m *msg) size() int64 {
	switch {
	case m.answer:
		return 1
	case m.typ == 0:
		return m.length + 4
	}
	return m.length + 5
}

type fmode uint8

const (
	modeTyped   fmode = iota // type byte, then length
	modeUntyped              // length only: startup, SSL, GSS and cancel requests
)

type fstate uint8

const (
	fsHeader fstate = iota
	fsBody
	fsResync // framing lost: wait for a verified message start
)

// framer splits one direction into messages, across piece boundaries,
// skipping bodies by their length.
type framer struct {
	client bool
	mode   fmode
	answer bool // a one-byte SSL/GSS answer may come next (server side)
	st     fstate
	hdr    [5]byte
	hn     int
	cur    msg
	left   int64 // body bytes still to come
	need   int   // body bytes to capture
	buf    []byte
	onMsg  func(*msg)
	onLost func(reason string) // framing lost
}

// want is how many body bytes the parser needs of a message type.
func want(client bool, typ byte) int {
	if client {
		switch typ {
		case 0:
			return maxStartup
		case 'Q', 'P':
			return maxCapture
		case 'B', 'D', 'E', 'C':
			return 160 // names only: never parameter values
		}
		return 0 // never passwords ('p'), COPY data or function arguments
	}
	switch typ {
	case 'E':
		return 1024
	case 'C':
		return 128
	}
	return 0
}

// piece consumes one reassembled piece of the direction.
func (f *framer) piece(pc reassembly.Piece) {
	if pc.Lost > 0 {
		f.skip(pc.Lost, "bytes lost")
	}
	data := pc.Data
	if f.st == fsResync {
		if len(data) == 0 || !chainSure(data, pc.Skipped, f.client) {
			return
		}
		f.st, f.hn = fsHeader, 0
	}
	for len(data) > 0 && f.st != fsResync {
		data = f.consume(data, pc)
	}
	if pc.Skipped > 0 {
		f.skip(uint64(pc.Skipped), "bytes not captured")
	}
}

// skip accounts for n bytes that went by unseen: inside a body they only
// make the message partial; anywhere else the framing is lost.
func (f *framer) skip(n uint64, why string) {
	switch f.st {
	case fsResync:
		return
	case fsBody:
		if n <= uint64(f.left) {
			f.left -= int64(n)
			if len(f.buf) < f.need {
				f.cur.partial = true
			}
			if f.left == 0 {
				f.deliver(f.buf)
			}
			return
		}
	}
	f.lose(why)
}

func (f *framer) lose(why string) {
	f.st, f.hn = fsResync, 0
	f.mode = modeTyped
	f.answer = false
	f.onLost(why)
}

// consume reads from data and returns what is left.
func (f *framer) consume(data []byte, pc reassembly.Piece) []byte {
	if f.st == fsBody {
		return f.body(data, pc)
	}
	if f.hn == 0 {
		f.cur = msg{start: pc.Start}
		if f.answer && (data[0] == 'S' || data[0] == 'N' || data[0] == 'G') {
			f.answer = false
			f.cur.answer, f.cur.typ, f.cur.end = true, data[0], pc.End
			f.onMsg(&f.cur)
			return data[1:]
		}
		f.answer = false
	}
	hlen := 5
	if f.mode == modeUntyped {
		hlen = 4
	}
	n := copy(f.hdr[f.hn:hlen], data)
	f.hn += n
	data = data[n:]
	if f.hn < hlen {
		return data
	}
	f.hn = 0
	var l uint32
	if f.mode == modeUntyped {
		l = binary.BigEndian.Uint32(f.hdr[:4])
		if l < 8 || l > maxStartup {
			f.lose("bad startup length")
			return nil
		}
	} else {
		f.cur.typ = f.hdr[0]
		l = binary.BigEndian.Uint32(f.hdr[1:5])
		if !validType(f.client, f.cur.typ) || !validLen(f.client, f.cur.typ, l) {
			f.lose("bad message header")
			return nil
		}
	}
	f.cur.length = int64(l) - 4
	f.left = f.cur.length
	f.need = int(min(int64(want(f.client, f.cur.typ)), f.cur.length))
	f.buf = f.buf[:0]
	f.st = fsBody
	if f.left == 0 {
		f.cur.end = pc.End
		f.deliver(nil)
		return data
	}
	// The common case: the whole body is in this piece.
	if int64(len(data)) >= f.left {
		n := int(f.left)
		f.left = 0
		f.cur.end = pc.End
		f.deliver(data[:min(n, f.need)])
		return data[n:]
	}
	return data
}

func (f *framer) body(data []byte, pc reassembly.Piece) []byte {
	n := int(min(int64(len(data)), f.left))
	if c := f.need - len(f.buf); c > 0 {
		f.buf = append(f.buf, data[:min(c, n)]...)
	}
	f.left -= int64(n)
	f.cur.end = pc.End
	if f.left == 0 {
		f.deliver(f.buf)
	}
	return data[n:]
}

func (f *framer) deliver(body []byte) {
	f.st = fsHeader
	f.cur.body = body
	f.onMsg(&f.cur)
}

// Message types by direction. Some letters mean different things each way.
const (
	clientTypes = "QPBDESHCXFdcfp"
	serverTypes = "RKSZTDCIEN123tnsGHWdcVAv"
	clientOnly  = "QPBXFfp"
	serverOnly  = "RKZTIN123tnsGWVAv"
)

func validType(client bool, t byte) bool {
	if client {
		return t != 0 && indexByte(clientTypes, t)
	}
	return t != 0 && indexByte(serverTypes, t)
}

func indexByte(s string, b byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return true
		}
	}
	return false
}

// validLen checks a length word: fixed-size messages make random bytes
// unlikely to pass.
func validLen(client bool, t byte, l uint32) bool {
	if l < 4 || l > maxMsgLen {
		return false
	}
	if client {
		switch t {
		case 'S', 'H', 'X', 'c':
			return l == 4
		case 'Q', 'P', 'B', 'D', 'E', 'C':
			return l >= 5
		}
		return true
	}
	switch t {
	case 'Z':
		return l == 5
	case '1', '2', '3', 'n', 'I', 's', 'c':
		return l == 4
	case 'R':
		return l >= 8 && l < 1<<16
	case 'K':
		return l >= 12 && l <= 264
	case 'C', 'E', 'N', 'S', 'T', 'D', 't':
		return l >= 6
	}
	return true
}

// chainSure reports whether data (the head of one syscall's buffer, with
// skipped more bytes after it) verifiably begins at a message boundary:
// consecutive valid headers whose lengths end exactly at the end of the
// syscall, or at least two complete messages.
func chainSure(data []byte, skipped int, client bool) bool {
	total := int64(len(data)) + int64(skipped)
	off, complete := int64(0), 0
	for off+5 <= int64(len(data)) {
		t := data[off]
		l := binary.BigEndian.Uint32(data[off+1:])
		if !validType(client, t) || !validLen(client, t, l) {
			return false
		}
		off += 1 + int64(l)
		if off > int64(len(data)) {
			return off == total || complete >= 2
		}
		complete++
	}
	if off == int64(len(data)) {
		return complete >= 1 && (skipped == 0 || complete >= 2)
	}
	return complete >= 2
}
