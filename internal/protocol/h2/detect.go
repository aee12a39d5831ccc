package h2

// Preface is what an HTTP/2 client sends first (RFC 9113 section 3.4).
const Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// Frame types (RFC 9113 section 6).
const (
	frameData         = 0x0
	frameHeaders      = 0x1
	framePriority     = 0x2
	frameRSTStream    = 0x3
	frameSettings     = 0x4
	framePushPromise  = 0x5
	framePing         = 0x6
	frameGoAway       = 0x7
	frameWindowUpdate = 0x8
	frameContinuation = 0x9
)

// Flags.
const (
	flagEndStream  = 0x1
	flagAck        = 0x1
	flagEndHeaders = 0x4
	flagPadded     = 0x8
	flagPriority   = 0x20
)

// allowedFlags are the flags each frame type defines; others are legal
// but never set by real stacks, which makes them a good resync check.
var allowedFlags = [10]uint8{
	frameData:         flagEndStream | flagPadded,
	frameHeaders:      flagEndStream | flagEndHeaders | flagPadded | flagPriority,
	frameSettings:     flagAck,
	framePushPromise:  flagEndHeaders | flagPadded,
	framePing:         flagAck,
	frameContinuation: flagEndHeaders,
}

// Detect tells whether data, the first bytes one side of a connection
// wrote, starts HTTP/2: the client preface (isClient) or a server's first
// SETTINGS frame. ok is false when it cannot be HTTP/2; sure is false when
// data is too short to tell (a prefix of either).
func Detect(data []byte) (isClient, ok, sure bool) {
	if len(data) == 0 {
		return false, true, false
	}
	if data[0] == 'P' {
		n := min(len(data), len(Preface))
		if string(data[:n]) != Preface[:n] {
			return false, false, true
		}
		return true, true, n == len(Preface)
	}
	// A server's connection preface is a SETTINGS frame without ACK.
	var want [9]byte
	copy(want[:], data)
	length := int(want[0])<<16 | int(want[1])<<8 | int(want[2])
	n := min(len(data), 9)
	stream := want[5] | want[6] | want[7] | want[8] // bytes not seen are 0
	if (n > 3 && want[3] != frameSettings) || want[4] != 0 || stream != 0 ||
		(n >= 3 && (length%6 != 0 || length > 16384)) {
		return false, false, true
	}
	return false, true, n == 9
}

// header is a parsed frame header.
type header struct {
	length uint32
	typ    uint8
	flags  uint8
	stream uint32
}

func parseHeader(b []byte) header {
	return header{
		length: uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2]),
		typ:    b[3],
		flags:  b[4],
		stream: (uint32(b[5])<<24 | uint32(b[6])<<16 | uint32(b[7])<<8 | uint32(b[8])) & 0x7fffffff,
	}
}

// plausible reports whether h could be a frame a real stack sent: used
// only to find frame boundaries again after a gap, never on synced bytes.
func plausible(h header, maxFrame uint32) bool {
	if h.typ > frameContinuation || h.flags&^allowedFlags[h.typ] != 0 || h.length > maxFrame {
		return false
	}
	switch h.typ {
	case frameSettings:
		return h.stream == 0 && h.length%6 == 0 && (h.flags == 0 || h.length == 0)
	case framePing:
		return h.stream == 0 && h.length == 8
	case frameGoAway:
		return h.stream == 0 && h.length >= 8
	case frameWindowUpdate:
		return h.length == 4
	case frameRSTStream:
		return h.stream != 0 && h.length == 4
	case framePriority:
		return h.stream != 0 && h.length == 5
	}
	return h.stream != 0
}

// plausibleChain reports whether data, the start of a syscall buffer, is a
// run of plausible frames: at least one whole header, every header the
// data reaches plausible. Senders write whole frames per syscall, so after
// a gap this is where framing can be picked up again.
func plausibleChain(data []byte, maxFrame uint32) bool {
	if len(data) < 9 {
		return false
	}
	for pos := 0; pos+9 <= len(data); {
		h := parseHeader(data[pos:])
		if !plausible(h, maxFrame) {
			return false
		}
		pos += 9 + int(h.length)
	}
	return true
}

// sniffRequest tells from the first field of a header block whether it is
// a request (:method, :path, :scheme, :authority) or a response (:status),
// using only static-table indices (1-14), which mean the same whatever the
// dynamic table holds. known is false otherwise.
func sniffRequest(block []byte) (isRequest, known bool) {
	for len(block) > 0 {
		b := block[0]
		var prefix uint8
		switch {
		case b&0x80 != 0:
			prefix = 7 // indexed field
		case b&0xc0 == 0x40:
			prefix = 6 // literal with incremental indexing
		case b&0xe0 == 0x20:
			// Dynamic table size update: skip it.
			_, rest, ok := hpackInt(block, 5)
			if !ok {
				return false, false
			}
			block = rest
			continue
		default:
			prefix = 4 // literal without or never indexing
		}
		idx, _, ok := hpackInt(block, prefix)
		switch {
		case !ok || idx == 0 || idx > 14:
			return false, false
		case idx <= 7:
			return true, true
		default:
			return false, true
		}
	}
	return false, false
}

// hpackInt reads an HPACK integer with an n-bit prefix (RFC 7541 5.1).
func hpackInt(b []byte, n uint8) (uint64, []byte, bool) {
	mask := uint64(1)<<n - 1
	v := uint64(b[0]) & mask
	if v < mask {
		return v, b[1:], true
	}
	var shift uint
	for i := 1; i < len(b) && i < 8; i++ {
		v += uint64(b[i]&0x7f) << shift
		shift += 7
		if b[i]&0x80 == 0 {
			return v, b[i+1:], true
		}
	}
	return 0, nil, false
}
