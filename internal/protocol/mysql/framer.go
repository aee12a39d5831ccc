package mysql

import "github.com/vigil-dev/vigil/internal/reassembly"

// maxPayload marks a packet that is continued by the next one (payloads
// of 16 MiB and more are split).
const maxPayload = 0xffffff

// packet is one logical packet: the physical packets of a split payload
// are joined.
type packet struct {
	seq, last  byte   // sequence ids of the first and last physical packets
	n          int64  // payload length
	wire       int64  // bytes on the wire, headers included
	data       []byte // captured head of the payload; valid during the callback
	short      bool   // bytes of the head were not captured: data stops early
	start, end uint64 // syscall entry of the first byte, exit of the last
}

// framer cuts one direction into packets. While it is in sync, payload
// bytes that were not captured (or lost) are skipped by count; a gap that
// covers a header loses the framing until the parser resynchronises it.
type framer struct {
	sync   bool
	keep   int // payload bytes worth capturing per packet
	hdr    [4]byte
	nh     int   // header bytes so far
	remain int64 // payload bytes left in the current physical packet
	more   bool  // the current physical packet is continued
	open   bool  // a logical packet has begun
	cur    packet
	buf    []byte // the head when it spans pieces
	gapped bool   // the head has a hole: capture nothing more
	// onPacket gets each complete packet; onLost the loss of the framing
	// with the wire bytes of the unfinished packet.
	onPacket func(*packet)
	onLost   func(reason string, partial int64, end uint64)
}

// feed consumes a piece. The caller has checked that an unsynced framer
// may start at this piece.
func (f *framer) feed(pc reassembly.Piece) {
	if pc.Lost > 0 {
		f.skip(int64(min(pc.Lost, 1<<62)), pc, "lost bytes")
	}
	data := pc.Data
	for len(data) > 0 && f.sync {
		if f.remain == 0 {
			if f.nh == 0 && !f.open {
				// Fast path: a whole unsplit packet in the piece, no copy.
				if len(data) >= 4 {
					n := int(data[0]) | int(data[1])<<8 | int(data[2])<<16
					if n < maxPayload && len(data) >= 4+n {
						f.cur = packet{seq: data[3], last: data[3], n: int64(n), wire: int64(4 + n),
							data: data[4 : 4+min(n, f.keep)], start: pc.Start, end: pc.End}
						f.onPacket(&f.cur)
						data = data[4+n:]
						continue
					}
				}
				f.cur = packet{start: pc.Start}
			}
			k := copy(f.hdr[f.nh:], data)
			f.nh += k
			data = data[k:]
			f.cur.wire += int64(k)
			if f.nh < 4 {
				break
			}
			if !f.header(pc) {
				return
			}
			continue
		}
		k := int(min(int64(len(data)), f.remain))
		if !f.gapped && len(f.buf) < f.keep {
			f.buf = append(f.buf, data[:min(k, f.keep-len(f.buf))]...)
		}
		f.remain -= int64(k)
		f.cur.wire += int64(k)
		data = data[k:]
		f.endPhysical(pc)
	}
	if pc.Skipped > 0 && f.sync {
		f.skip(int64(pc.Skipped), pc, "not captured")
	}
}

// header starts a physical packet from f.hdr.
func (f *framer) header(pc reassembly.Piece) bool {
	f.nh = 0
	n := int64(f.hdr[0]) | int64(f.hdr[1])<<8 | int64(f.hdr[2])<<16
	seq := f.hdr[3]
	if f.open {
		if seq != f.cur.last+1 {
			f.lose("split packet sequence", pc.End)
			return false
		}
		f.cur.last = seq
	} else {
		f.open = true
		f.cur.seq, f.cur.last = seq, seq
		f.buf = f.buf[:0]
		f.gapped = false
	}
	f.cur.n += n
	f.remain = n
	f.more = n == maxPayload
	f.endPhysical(pc)
	return true
}

// endPhysical completes the logical packet when its last byte is in.
func (f *framer) endPhysical(pc reassembly.Piece) {
	if f.nh > 0 || f.remain > 0 || f.more { // more: a continuation header follows
		return
	}
	f.cur.end = pc.End
	f.cur.data = f.buf
	f.cur.short = int64(len(f.buf)) < min(f.cur.n, int64(f.keep))
	f.open = false
	f.onPacket(&f.cur)
}

// skip passes n bytes that were not captured: fine inside a payload, fatal
// to the framing anywhere else.
func (f *framer) skip(n int64, pc reassembly.Piece, reason string) {
	for n > 0 && f.sync {
		if f.remain == 0 || f.nh > 0 {
			f.lose(reason, pc.End)
			return
		}
		k := min(n, f.remain)
		f.remain -= k
		f.cur.wire += k
		n -= k
		f.gapped = true
		f.endPhysical(pc)
	}
}

func (f *framer) lose(reason string, end uint64) {
	partial := int64(0)
	if f.open || f.nh > 0 {
		partial = f.cur.wire
	}
	f.sync, f.open, f.more = false, false, false
	f.nh, f.remain = 0, 0
	f.onLost(reason, partial, end)
}

// restart puts an unsynced framer back in sync at a packet start.
func (f *framer) restart() {
	f.sync, f.open, f.more = true, false, false
	f.nh, f.remain = 0, 0
}
