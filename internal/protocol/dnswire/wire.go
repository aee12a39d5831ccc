package dnswire

import "encoding/binary"

const (
	headerLen = 12
	maxName   = 255 // wire form, root label included (RFC 1035 3.1)
	maxPtrs   = 32  // compression hops in one name; loops also hit maxName
	minRR     = 11  // root name + type, class, TTL, RDLENGTH
	maxTCPMsg = 65535
	maxUDPMsg = 65535
)

// Reasons a message is rejected.
const (
	errShort       = "short header"
	errCount       = "bad counts"
	errOpcode      = "bad opcode"
	errQuery       = "implausible query"
	errLabel       = "bad label"
	errNameLen     = "name too long"
	errPointer     = "bad compression pointer"
	errPtrLoop     = "compression loop"
	errQType       = "bad question type or class"
	errRecordSpill = "record beyond message"
)

// message is what is kept of one DNS message.
type message struct {
	id          uint16
	flags       uint16
	an          uint16
	hasQuestion bool
	q           question
}

func (m *message) response() bool  { return m.flags&0x8000 != 0 }
func (m *message) truncated() bool { return m.flags&0x0200 != 0 }
func (m *message) rcode() uint8    { return uint8(m.flags & 0xf) }

// question holds the name in lower-cased, uncompressed wire form, so that
// questions compare with == whatever the case and compression used.
type question struct {
	name          [maxName]byte
	n             uint8
	qtype, qclass uint16
}

func (q *question) equal(o *question) bool {
	return q.qtype == o.qtype && q.qclass == o.qclass && q.n == o.n && string(q.name[:q.n]) == string(o.name[:o.n])
}

// parse decodes the header and the question of msg, the captured head of
// a message of size bytes, and walks the records as far as captured.
// It returns a reason when msg is not a plausible DNS message.
func parse(msg []byte, size int, m *message) string {
	if len(msg) > size {
		msg = msg[:size]
	}
	if len(msg) < headerLen {
		if size < headerLen {
			return errShort
		}
		return ReasonHeadNotCaptured
	}
	m.id = binary.BigEndian.Uint16(msg)
	m.flags = binary.BigEndian.Uint16(msg[2:])
	qd := binary.BigEndian.Uint16(msg[4:])
	m.an = binary.BigEndian.Uint16(msg[6:])
	ns := binary.BigEndian.Uint16(msg[8:])
	ar := binary.BigEndian.Uint16(msg[10:])
	switch op := (m.flags >> 11) & 0xf; {
	case op > 5 || op == 3:
		return errOpcode
	case !m.response() && op == 0 && (m.an != 0 || ns != 0 || m.rcode() != 0):
		return errQuery // a standard query carries only the question (and OPT, TSIG)
	}
	if qd > 1 || (qd == 0 && !(m.response() && m.rcode() != 0)) {
		// In practice a question is always one; only error responses
		// (FORMERR, NOTIMP) may omit it.
		return errCount
	}
	m.hasQuestion = qd == 1
	records := int(m.an) + int(ns) + int(ar)
	if headerLen+int(qd)*5+records*minRR > size {
		return errCount
	}
	off := headerLen
	if m.hasQuestion {
		n, next, why := readName(msg, off, &m.q.name)
		if why != "" {
			if why == errRecordSpill && len(msg) < size {
				return ReasonQuestionNotCaught
			}
			return why
		}
		if next+4 > len(msg) {
			if next+4 <= size {
				return ReasonQuestionNotCaught
			}
			return errRecordSpill
		}
		m.q.n = uint8(n)
		m.q.qtype = binary.BigEndian.Uint16(msg[next:])
		m.q.qclass = binary.BigEndian.Uint16(msg[next+2:])
		if m.q.qtype == 0 || !plausibleClass(m.q.qclass) {
			return errQType
		}
		off = next + 4
	}
	return walkRecords(msg, size, off, records)
}

// plausibleClass: IN, CH, HS, NONE, ANY; mDNS sets the top bit (QU).
func plausibleClass(c uint16) bool {
	switch c & 0x7fff {
	case 1, 3, 4, 254, 255:
		return true
	}
	return false
}

// walkRecords checks the resource records as far as they were captured:
// each name decodes, each RDATA ends within the message.
func walkRecords(msg []byte, size, off, count int) string {
	var scratch [maxName]byte
	for range count {
		if off >= len(msg) {
			if len(msg) < size {
				break
			}
			return errCount // the header counts more records than there are
		}
		_, next, why := readName(msg, off, &scratch)
		if why == errRecordSpill && len(msg) < size {
			break
		}
		if why != "" {
			return why
		}
		if next+10 > len(msg) {
			if next+10 > size {
				return errRecordSpill
			}
			break // the rest was not captured
		}
		off = next + 10 + int(binary.BigEndian.Uint16(msg[next+8:]))
		if off > size {
			return errRecordSpill
		}
	}
	return ""
}

// readName decodes the name at off into dst, lower-cased and without
// compression. next is the offset after the name as written at off. A
// pointer must point backward and outside the header; loops end at
// maxPtrs hops or when the name grows beyond maxName.
func readName(msg []byte, off int, dst *[maxName]byte) (n, next int, why string) {
	next = -1
	pos, hops := off, 0
	for {
		if pos >= len(msg) {
			return 0, 0, errRecordSpill
		}
		c := int(msg[pos])
		switch c & 0xc0 {
		case 0x00:
			if c == 0 {
				if n+1 > maxName {
					return 0, 0, errNameLen
				}
				dst[n] = 0
				n++
				if next < 0 {
					next = pos + 1
				}
				return n, next, ""
			}
			if pos+1+c > len(msg) {
				return 0, 0, errRecordSpill
			}
			if n+1+c+1 > maxName {
				return 0, 0, errNameLen
			}
			dst[n] = byte(c)
			for i, b := range msg[pos+1 : pos+1+c] {
				if 'A' <= b && b <= 'Z' {
					b += 'a' - 'A'
				}
				dst[n+1+i] = b
			}
			n += 1 + c
			pos += 1 + c
		case 0xc0:
			if pos+2 > len(msg) {
				return 0, 0, errRecordSpill
			}
			p := int(binary.BigEndian.Uint16(msg[pos:]) & 0x3fff)
			if p < headerLen || p >= pos {
				return 0, 0, errPointer
			}
			if hops++; hops > maxPtrs {
				return 0, 0, errPtrLoop
			}
			if next < 0 {
				next = pos + 2
			}
			pos = p
		default: // 0x40 extended and 0x80 reserved label types are obsolete
			return 0, 0, errLabel
		}
	}
}

// presentation renders a wire name as text: lower case, no trailing dot,
// "." for the root, special and non-printable bytes escaped as in zone
// files, cut to 255 bytes between characters (never inside an escape).
func presentation(wire []byte) string {
	if len(wire) <= 1 {
		return "."
	}
	var buf [maxName]byte
	out := buf[:0]
	for i := 0; i < len(wire) && wire[i] != 0; {
		l := int(wire[i])
		for k, b := range wire[i+1 : i+1+l] {
			var unit [5]byte
			u := unit[:0]
			if k == 0 && len(out) > 0 {
				u = append(u, '.') // the separator goes with the label's first character
			}
			switch {
			case b == '.' || b == '\\' || b == '"' || b == '(' || b == ')' || b == ';' || b == '@' || b == '$':
				u = append(u, '\\', b)
			case b <= ' ' || b >= 0x7f:
				u = append(u, '\\', '0'+b/100, '0'+b/10%10, '0'+b%10)
			default:
				u = append(u, b)
			}
			if len(out)+len(u) > maxName {
				return string(out)
			}
			out = append(out, u...)
		}
		i += 1 + l
	}
	return string(out)
}

// Detect tells whether data, the captured head of a message, looks like
// DNS: one question that parses, a known opcode, counts that fit, and for
// a standard query no answers. On TCP data starts with the 2-byte length.
func Detect(data []byte, tcp bool) (isQuery bool, ok bool) {
	size := maxUDPMsg
	if tcp {
		if len(data) < 2 {
			return false, false
		}
		size = int(binary.BigEndian.Uint16(data))
		data = data[2:]
	} else if len(data) > size {
		return false, false
	}
	var m message
	if parse(data, max(size, len(data)), &m) != "" || !m.hasQuestion {
		return false, false
	}
	return !m.response(), true
}
