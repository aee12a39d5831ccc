package httpwire

import (
	"bytes"
	"strconv"

	"github.com/vigil-dev/vigil/internal/reassembly"
)

type hstate uint8

const (
	stStart      hstate = iota // between messages
	stHead                     // reading the header block
	stBody                     // Content-Length body: remaining bytes
	stChunkSize                // reading a chunk-size line
	stChunkData                // chunk data: remaining bytes
	stChunkCRLF                // the CRLF after chunk data: remaining bytes
	stTrailer                  // trailer lines after the last chunk
	stUntilClose               // body delimited by the connection's end
	stResync                   // lost framing: skip to the next message start
)

// message is one request or response being read.
type message struct {
	head
	bytes, bodyBytes     int64
	start, firstEnd, end uint64
	incomplete           bool
	reason               string
}

// half reads the messages of one direction.
type half struct {
	isReq     bool
	st        hstate
	buf       []byte // header block or chunk/trailer line so far
	remaining int64
	cur       message
	open      bool // cur has begun
	finishing bool // cur ends once the current step's bytes are counted
	headGap   bool // part of the current head was not captured
	// done is called with each finished message; interim responses too.
	done func(m *message)
	// bodyMode decides a response's framing from its head (it needs the
	// request's method).
	bodyMode func(h *head) hstate
	// onStart is called when a message begins.
	onStart func()
	stats   *Stats
}

// piece consumes one reassembled piece.
func (h *half) piece(p reassembly.Piece) {
	if p.Lost > 0 {
		h.gap(p.Lost, "lost bytes", p)
	}
	data := p.Data
	for len(data) > 0 {
		if h.st == stHead && h.headGap && len(data) == len(p.Data) && h.startsMessage(data) {
			h.atStart(data, p) // the gapped head ended at the previous syscall
			continue
		}
		if h.st == stResync || h.st == stStart {
			if !h.atStart(data, p) {
				h.touch(p) // an open message lost its framing: this is likely its tail
				return
			}
		}
		h.touch(p)
		n := h.step(data, p)
		h.cur.bytes += int64(n)
		data = data[n:]
		if h.finishing {
			h.finishing = false
			h.finish(false, "")
		}
	}
	if p.Skipped > 0 {
		h.gap(uint64(p.Skipped), "not captured", p)
	}
}

// atStart begins a message when data starts one; in resync it also ends
// the open message.
func (h *half) atStart(data []byte, p reassembly.Piece) bool {
	if h.st == stHead {
		// Only reached for a head with a gap that a new message start follows.
		h.finishGappedHead()
	}
	k := classify(data[:min(len(data), 24)])
	want := startResponse
	if h.isReq {
		want = startRequest
	}
	ok := k == want || (k == startUnsure && h.st == stStart)
	if !ok {
		if h.st == stStart {
			h.stats.add("not a message start")
			h.st = stResync
		}
		return false
	}
	if h.st == stResync && h.open {
		h.finish(true, "framing lost")
	}
	if h.onStart != nil {
		h.onStart()
	}
	h.cur = message{head: head{contentLength: -1}, start: p.Start, firstEnd: p.End, end: p.End}
	h.open = true
	h.headGap = false
	h.st = stHead
	h.buf = h.buf[:0]
	return true
}

func (h *half) touch(p reassembly.Piece) {
	if h.open {
		h.cur.end = p.End
	}
}

// step consumes a prefix of data in the current state and returns its length.
func (h *half) step(data []byte, p reassembly.Piece) int {
	switch h.st {
	case stHead:
		return h.stepHead(data)
	case stBody, stChunkData:
		n := int(min(int64(len(data)), h.remaining))
		h.remaining -= int64(n)
		h.cur.bodyBytes += int64(n)
		if h.remaining == 0 {
			if h.st == stBody {
				h.finishAfter()
			} else {
				h.st, h.remaining = stChunkCRLF, 2
			}
		}
		return n
	case stChunkCRLF:
		n := int(min(int64(len(data)), h.remaining))
		h.remaining -= int64(n)
		if h.remaining == 0 {
			h.st = stChunkSize
			h.buf = h.buf[:0]
		}
		return n
	case stChunkSize, stTrailer:
		return h.stepLine(data)
	case stUntilClose:
		h.cur.bodyBytes += int64(len(data))
		return len(data)
	}
	return len(data) // stStart/stResync are handled by the caller
}

func (h *half) stepHead(data []byte) int {
	prev := len(h.buf)
	take := data[:min(len(data), maxHead-prev)]
	var hd head
	var end int
	var ok bool
	if prev == 0 {
		// Most heads begin and end in one piece: found and parsed in one
		// pass, without copying them.
		hd, end, ok = scanHead(take, h.isReq)
		if end < 0 {
			h.buf = append(h.buf, take...)
		}
	} else {
		h.buf = append(h.buf, take...)
		if end = headEnd(h.buf, prev); end >= 0 {
			hd, ok = parseHead(h.buf[:end], h.isReq)
		}
	}
	if end < 0 {
		if len(h.buf) >= maxHead {
			h.stats.add("header block too large")
			h.finish(true, "header block too large")
			h.st = stResync
		}
		return len(take)
	}
	used := end - prev
	if !ok {
		h.stats.add("malformed head")
		h.open = false
		h.st = stResync
		return used
	}
	h.cur.head = hd
	if h.headGap { // a header inside the gap (a length?) may be missing
		h.cur.incomplete, h.cur.reason = true, "head larger than the capture"
	}
	h.startBody()
	return used
}

// startBody picks the body framing once the head is read.
func (h *half) startBody() {
	var st hstate
	if h.isReq {
		switch {
		case h.cur.chunked:
			st = stChunkSize
		case h.cur.contentLength > 0:
			st = stBody
		default:
			st = stStart
		}
	} else {
		st = h.bodyMode(&h.cur.head)
	}
	h.buf = h.buf[:0]
	switch st {
	case stStart:
		h.finishAfter()
	case stBody:
		h.st, h.remaining = stBody, h.cur.contentLength
	default:
		h.st = st
	}
}

// stepLine reads a chunk-size line or a trailer line.
func (h *half) stepLine(data []byte) int {
	i := bytes.IndexByte(data, '\n')
	n := len(data)
	if i >= 0 {
		n = i + 1
	}
	if len(h.buf)+n > 4096 {
		h.stats.add("chunk line too long")
		h.finish(true, "chunk framing malformed")
		h.st = stResync
		return n
	}
	h.buf = append(h.buf, data[:n]...)
	if i < 0 {
		return n
	}
	line := bytes.TrimRight(h.buf, "\r\n")
	h.buf = h.buf[:0]
	if h.st == stTrailer {
		if len(line) == 0 {
			h.finishAfter()
		}
		return n
	}
	if semi := bytes.IndexByte(line, ';'); semi >= 0 {
		line = line[:semi]
	}
	size, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 64)
	if err != nil || size < 0 {
		h.stats.add("malformed chunk size")
		h.finish(true, "chunk framing malformed")
		h.st = stResync
		return n
	}
	if size == 0 {
		h.st = stTrailer
	} else {
		h.st, h.remaining = stChunkData, size
	}
	return n
}

// gap accounts for n bytes that were moved but are not here. Bodies are
// skipped by count; anything else loses the framing.
func (h *half) gap(n uint64, why string, p reassembly.Piece) {
	if h.open {
		h.cur.end = p.End
	}
	switch h.st {
	case stResync:
		return
	case stUntilClose:
		h.cur.bytes += int64(n)
		h.cur.bodyBytes += int64(n)
		return
	case stBody, stChunkData, stChunkCRLF:
		take := min(n, uint64(h.remaining))
		h.cur.bytes += int64(take)
		if h.st != stChunkCRLF {
			h.cur.bodyBytes += int64(take)
		}
		h.remaining -= int64(take)
		n -= take
		if h.remaining == 0 {
			switch h.st {
			case stBody:
				h.finish(false, "")
			case stChunkData:
				h.st, h.remaining = stChunkCRLF, 2
				if n > 0 {
					h.gap(n, why, p)
					return
				}
			default:
				h.st = stChunkSize
				h.buf = h.buf[:0]
			}
		}
		if n == 0 {
			return
		}
	}
	if h.st == stHead && h.open {
		// Head bytes not captured: count them, cut the broken line off with a
		// marker no terminator search matches, and keep reading the head.
		h.cur.bytes += int64(n)
		h.headGap = true
		if len(h.buf) < maxHead {
			h.buf = append(h.buf, "\n\x00\n"...)
		}
		return
	}
	// The gap covers framing (a chunk line) or a message start.
	if h.open && h.st != stStart {
		h.cur.bytes += int64(n)
		h.cur.incomplete, h.cur.reason = true, "framing "+why
		h.st = stResync // cur stays open until the next message start or close
		return
	}
	h.lostStart(why)
}

// lostStart: the beginning of a message was not seen.
func (h *half) lostStart(why string) {
	h.stats.add("message start " + why)
	h.st = stResync
}

// startsMessage: data certainly begins a message of this direction.
func (h *half) startsMessage(data []byte) bool {
	want := startResponse
	if h.isReq {
		want = startRequest
	}
	return classify(data[:min(len(data), 24)]) == want
}

// finishGappedHead ends a message whose head was partly not captured: the
// captured start line and headers are kept, its framing is unknown.
func (h *half) finishGappedHead() {
	buf := append(h.buf, "\r\n\r\n"...)
	hd, ok := parseHead(buf, h.isReq)
	if !ok {
		h.stats.add("malformed head")
		h.open = false
		h.st = stStart
		return
	}
	h.cur.head = hd
	h.cur.bodyBytes = 0
	h.finish(true, "head larger than the capture")
}

// finishAfter ends the current message once the step's bytes are counted.
func (h *half) finishAfter() {
	h.finishing = true
	h.st = stStart
}

// finish ends the current message.
func (h *half) finish(incomplete bool, reason string) {
	if !h.open {
		h.st = stStart
		return
	}
	if incomplete && !h.cur.incomplete {
		h.cur.incomplete, h.cur.reason = true, reason
	}
	if h.cur.incomplete && h.st == stResync {
		h.cur.bodyBytes = 0 // the body's framing was not seen: its size is unknown
	}
	h.open = false
	h.st = stStart
	h.buf = h.buf[:0]
	h.done(&h.cur) // valid until the next message starts: done copies what it keeps
}

// close ends the direction: a body delimited by the end is complete, an
// open message is not.
func (h *half) close() {
	switch {
	case !h.open:
	case h.st == stUntilClose:
		h.finish(false, "")
	default:
		h.finish(true, "connection closed mid-message")
	}
}
