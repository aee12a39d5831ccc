package h2

import (
	"golang.org/x/net/http2/hpack"

	"github.com/vigil-dev/vigil/internal/reassembly"
)

// frame is the frame being read in one direction.
type frame struct {
	header
	off      uint32 // payload bytes consumed (captured or not)
	fixed    uint32 // bytes before the data or header fragment: pad length, priority, promised id
	padLen   uint32
	padKnown bool    // the pad length byte was captured (or there is none)
	buf      [8]byte // the fixed part, or the head of a control frame
	nbuf     int
	setting  [6]byte // the SETTINGS entry being read
	nset     int
	damaged  bool   // part of the payload was not captured
	start    uint64 // Start of the syscall carrying the frame header
}

// half reads the frames of one direction.
type half struct {
	p       *Parser
	dir     reassembly.Direction
	synced  bool // frame boundaries are known
	preface int  // client preface bytes still to skip
	hdr     [9]byte
	nhdr    int
	inFrame bool
	f       frame

	dec     *hpack.Decoder // nil once the dynamic table is not known
	lost    string         // why dec is nil
	allowed uint32         // largest table size the receiver announced

	// The header block being read (HEADERS or PUSH_PROMISE, then
	// CONTINUATION until END_HEADERS).
	inBlock     bool
	blk         block
	blkStream   uint32
	blkPromised uint32
	blkPush     bool
	blkEnd      bool // END_STREAM was set on the HEADERS frame
	blkDamaged  bool
	blkStart    uint64
	blkHead     [8]byte // first bytes of the block, to tell requests from responses
	nblkHead    int
}

func newHalf(p *Parser, dir reassembly.Direction, lost string) *half {
	h := &half{p: p, dir: dir, allowed: defaultTableSize}
	if lost != "" {
		h.lost = lost
		return h
	}
	h.synced = true
	h.dec = hpack.NewDecoder(defaultTableSize, h.field)
	h.dec.SetMaxStringLength(maxHeaderString)
	return h
}

// piece consumes one reassembled piece.
func (h *half) piece(pc reassembly.Piece) {
	if pc.Lost > 0 {
		h.gap(pc.Lost, pc)
	}
	data := pc.Data
	if !h.synced && len(data) > 0 {
		if !plausibleChain(data, h.p.maxFrame) {
			h.p.Stats.add("bytes skipped while out of sync")
			data = nil
		} else {
			h.synced, h.nhdr, h.inFrame = true, 0, false
		}
	}
	for len(data) > 0 {
		switch {
		case h.preface > 0:
			n := min(h.preface, len(data))
			h.preface -= n
			data = data[n:]
		case !h.inFrame:
			n := copy(h.hdr[h.nhdr:], data)
			h.nhdr += n
			data = data[n:]
			if h.nhdr == 9 {
				h.startFrame(pc)
			}
		default:
			data = data[h.payload(data, pc):]
		}
	}
	if pc.Skipped > 0 {
		h.gap(uint64(pc.Skipped), pc)
	}
}

// startFrame handles a complete frame header.
func (h *half) startFrame(pc reassembly.Piece) {
	h.nhdr = 0
	h.inFrame = true
	h.f = frame{header: parseHeader(h.hdr[:]), padKnown: true, start: pc.Start}
	f := &h.f
	if f.flags&flagPadded != 0 && (f.typ == frameData || f.typ == frameHeaders || f.typ == framePushPromise) {
		f.fixed, f.padKnown = 1, false
	}
	if f.typ == frameHeaders && f.flags&flagPriority != 0 {
		f.fixed += 5
	}
	if f.typ == framePushPromise {
		f.fixed += 4
	}
	if h.inBlock && (f.typ != frameContinuation || f.stream != h.blkStream) {
		// A header block cut by another frame: the peer would have failed
		// the connection; the table can no longer be trusted.
		h.p.Stats.add("header block interrupted")
		h.blkDamaged = true
		h.endBlock(pc.Start)
	}
	switch f.typ {
	case frameHeaders, framePushPromise:
		h.inBlock = true
		h.blk = block{}
		h.blkStream, h.blkPromised, h.blkPush = f.stream, 0, f.typ == framePushPromise
		h.blkEnd = f.flags&flagEndStream != 0 && f.typ == frameHeaders
		h.blkDamaged, h.blkStart, h.nblkHead = false, f.start, 0
		if f.fixed > f.length {
			h.blkDamaged = true // malformed: no fragment to decode
		}
	case frameContinuation:
		if !h.inBlock {
			h.p.Stats.add("stray CONTINUATION")
			h.loseHPACK(ReasonHPACKLost)
		}
	}
	if f.length == 0 {
		h.endFrame(pc)
	}
}

// payload consumes captured payload bytes of the current frame and
// returns how many.
func (h *half) payload(data []byte, pc reassembly.Piece) int {
	f := &h.f
	n := min(len(data), int(f.length-f.off))
	chunk := data[:n]
	switch f.typ {
	case frameData, frameHeaders, framePushPromise, frameContinuation:
		for len(chunk) > 0 {
			if f.off < f.fixed {
				k := min(int(f.fixed-f.off), len(chunk))
				copy(f.buf[f.off:], chunk[:k])
				f.off += uint32(k)
				chunk = chunk[k:]
				h.fixedRead()
				continue
			}
			k := min(int(h.bodyEnd()-min(f.off, h.bodyEnd())), len(chunk))
			if k > 0 && f.typ != frameData {
				h.fragment(chunk[:k])
			}
			if k == 0 {
				k = len(chunk) // padding
			}
			f.off += uint32(k)
			chunk = chunk[k:]
		}
	case frameSettings:
		for _, b := range chunk {
			f.setting[f.nset] = b
			if f.nset++; f.nset == 6 {
				f.nset = 0
				h.p.setting(h.dir, uint16(f.setting[0])<<8|uint16(f.setting[1]),
					uint32(f.setting[2])<<24|uint32(f.setting[3])<<16|uint32(f.setting[4])<<8|uint32(f.setting[5]))
			}
		}
		f.off += uint32(n)
	default:
		f.nbuf += copy(f.buf[f.nbuf:], chunk)
		f.off += uint32(n)
	}
	if f.off == f.length {
		h.endFrame(pc)
	}
	return n
}

// fixedRead runs once bytes of the fixed part arrived.
func (h *half) fixedRead() {
	f := &h.f
	if f.flags&flagPadded != 0 && !f.padKnown && f.off >= 1 {
		f.padLen, f.padKnown = uint32(f.buf[0]), true
		if f.fixed+f.padLen > f.length {
			h.p.Stats.add("padding longer than the frame")
			f.padLen = f.length - min(f.fixed, f.length)
			if f.typ != frameData {
				h.blkDamaged = true
			}
		}
	}
	if f.typ == framePushPromise && f.off == f.fixed {
		b := f.buf[f.fixed-4:]
		h.blkPromised = (uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])) & 0x7fffffff
	}
}

// bodyEnd is the payload offset where padding begins.
func (h *half) bodyEnd() uint32 {
	f := &h.f
	return max(f.fixed, f.length-f.padLen)
}

// fragment feeds header block bytes to the decoder.
func (h *half) fragment(b []byte) {
	if h.nblkHead < len(h.blkHead) {
		h.nblkHead += copy(h.blkHead[h.nblkHead:], b)
	}
	if h.dec == nil || h.blkDamaged {
		return
	}
	if _, err := h.dec.Write(b); err != nil {
		h.p.Stats.add("HPACK decoding error")
		h.blkDamaged = true
		h.loseHPACK(ReasonHPACKLost)
	}
}

// gap handles n bytes that were moved but not captured.
func (h *half) gap(n uint64, pc reassembly.Piece) {
	for n > 0 && h.synced {
		if h.preface > 0 {
			k := min(uint64(h.preface), n)
			h.preface -= int(k)
			n -= k
			continue
		}
		if !h.inFrame {
			h.loseFraming(pc)
			return
		}
		f := &h.f
		k := uint32(min(n, uint64(f.length-f.off)))
		switch f.typ {
		case frameData:
			if f.off < f.fixed {
				f.padKnown = false // the pad length went uncaptured
			}
		case frameHeaders, framePushPromise, frameContinuation:
			// Only a gap wholly inside known padding leaves the block whole.
			if f.off < f.fixed || !f.padKnown || f.off < h.bodyEnd() {
				if !h.blkDamaged {
					h.p.Stats.add("header block not fully captured")
				}
				h.blkDamaged = true
				h.loseHPACK(ReasonHPACKLost)
			}
		default:
			f.damaged = true
		}
		f.off += k
		n -= uint64(k)
		if f.off == f.length {
			h.endFrame(pc)
		}
	}
}

// endFrame acts on a frame whose last byte has been consumed.
func (h *half) endFrame(pc reassembly.Piece) {
	f := &h.f
	h.inFrame = false
	switch f.typ {
	case frameData:
		size := int64(f.length) - int64(f.fixed) - int64(f.padLen)
		if !f.padKnown {
			size = int64(f.length) - int64(f.fixed) // padding unknown: count it
		}
		h.p.onData(h.dir, f.stream, max(size, 0), f.flags&flagEndStream != 0, f.start, pc.End)
	case frameHeaders, framePushPromise, frameContinuation:
		if h.inBlock && f.flags&flagEndHeaders != 0 {
			h.endBlock(pc.End)
		}
	case frameRSTStream:
		h.p.onReset(h.dir, f.stream, pc.End)
	case frameGoAway:
		if f.nbuf >= 4 {
			b := f.buf[:4]
			h.p.onGoAway(h.dir, (uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3]))&0x7fffffff)
		} else {
			h.p.Stats.add("GOAWAY not captured")
		}
	}
}

// endBlock ends the current header block.
func (h *half) endBlock(end uint64) {
	h.inBlock = false
	if h.dec != nil && !h.blkDamaged {
		if err := h.dec.Close(); err != nil {
			h.p.Stats.add("HPACK decoding error")
			h.blkDamaged = true
			h.loseHPACK(ReasonHPACKLost)
		}
	}
	if h.blkDamaged && h.dec != nil {
		h.loseHPACK(ReasonHPACKLost)
	}
	if !h.p.dirKnown {
		if isReq, ok := sniffRequest(h.blkHead[:h.nblkHead]); ok && !h.blkPush {
			h.p.setRequestDir(h.dir, isReq)
		}
	}
	h.p.onHeaders(h.dir, h, end)
}

// loseHPACK drops the decoder: its table can no longer be trusted.
func (h *half) loseHPACK(reason string) {
	if h.dec == nil {
		return
	}
	h.dec = nil
	h.lost = reason
	h.p.Stats.add("HPACK state lost")
}

// loseFraming is a gap across a frame boundary: frames in it are unknown,
// header blocks included.
func (h *half) loseFraming(pc reassembly.Piece) {
	h.p.Stats.add("framing lost")
	if h.inBlock {
		h.blkDamaged = true
		h.endBlock(pc.End)
	}
	h.synced, h.inFrame, h.nhdr = false, false, 0
	h.loseHPACK(ReasonHPACKLost)
	h.p.framingLost(h.dir)
}
