package mysql

import "bytes"

// lenenc reads a length-encoded integer; ok is false when b is too short
// or starts with a byte that is not one (0xfb NULL, 0xff).
func lenenc(b []byte) (v uint64, n int, ok bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	switch c := b[0]; {
	case c < 0xfb:
		return uint64(c), 1, true
	case c == 0xfc && len(b) >= 3:
		return uint64(b[1]) | uint64(b[2])<<8, 3, true
	case c == 0xfd && len(b) >= 4:
		return uint64(b[1]) | uint64(b[2])<<8 | uint64(b[3])<<16, 4, true
	case c == 0xfe && len(b) >= 9:
		var v uint64
		for i := 8; i >= 1; i-- {
			v = v<<8 | uint64(b[i])
		}
		return v, 9, true
	}
	return 0, 0, false
}

func le16(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 }

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// okInfo is what an OK packet (0x00, or 0xfe ending rows when EOF is
// deprecated) says.
type okInfo struct {
	affected uint64
	status   uint16
	info     []byte // the rest: info string, session state changes
}

func parseOK(b []byte) (o okInfo, ok bool) {
	if len(b) < 1 {
		return o, false
	}
	b = b[1:]
	var n int
	if o.affected, n, ok = lenenc(b); !ok {
		return o, false
	}
	b = b[n:]
	if _, n, ok = lenenc(b); !ok { // last insert id
		return o, false
	}
	b = b[n:]
	if len(b) < 4 {
		return o, false
	}
	o.status = le16(b)
	o.info = b[4:]
	return o, true
}

// isEOF tells a packet that ends rows or definitions: 0xfe and too short
// to be a row (a row starting 0xfe holds a 16 MiB value).
func isEOF(pk *packet) bool {
	return pk.n < maxPayload && len(pk.data) > 0 && pk.data[0] == 0xfe
}

// terminatorStatus reads the status flags of an EOF (5 bytes) or of an OK
// with the 0xfe header.
func terminatorStatus(pk *packet) (uint16, bool) {
	if pk.n < 7 {
		if len(pk.data) >= 5 {
			return le16(pk.data[3:]), true
		}
		return 0, false
	}
	o, ok := parseOK(pk.data)
	return o.status, ok
}

// errInfo is an ERR packet.
type errInfo struct {
	code     uint16
	state    string
	message  string
	progress bool // MariaDB progress report: not an error, more follows
}

func parseERR(b []byte) (e errInfo, ok bool) {
	if len(b) < 3 || b[0] != 0xff {
		return e, false
	}
	e.code = le16(b[1:])
	if e.code == 0xffff {
		e.progress = true
		return e, true
	}
	b = b[3:]
	if len(b) >= 6 && b[0] == '#' {
		e.state = string(b[1:6])
		b = b[6:]
	}
	e.message = cut(string(b), 256)
	return e, true
}

// cut shortens s to at most n bytes without splitting a UTF-8 sequence.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n]
}

// cstring returns b up to its first NUL and the rest after it.
func cstring(b []byte) (s, rest []byte, ok bool) {
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return nil, nil, false
	}
	return b[:i], b[i+1:], true
}

// Detect tells whether data, the first bytes of one direction (or of a
// syscall once in a while), starts a MySQL conversation: a server greeting
// (protocol 10) or a client command packet with sequence id 0.
func Detect(data []byte) (isRequest bool, ok bool) {
	if isGreeting(data) {
		return false, true
	}
	if plausibleCommand(data) {
		return true, true
	}
	return false, false
}

func isGreeting(data []byte) bool {
	if len(data) < 5+2 || data[3] != 0 || data[4] != 10 {
		return false
	}
	n := int(data[0]) | int(data[1])<<8 | int(data[2])<<16
	if n < 30 || n > 1024 {
		return false
	}
	v := data[5:min(len(data), 4+n)]
	i := bytes.IndexByte(v, 0)
	return i >= 1 && i <= 100 && v[0] >= '0' && v[0] <= '9' && printable(v[:i])
}

func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// plausibleCommand checks a packet header with sequence id 0, a command
// byte worth resynchronising on and a length that command can have.
func plausibleCommand(data []byte) bool {
	if len(data) < 5 || data[3] != 0 {
		return false
	}
	n := int(data[0]) | int(data[1])<<8 | int(data[2])<<16
	c := data[4]
	switch c {
	case comQuit, comStatistics, 0x0e /* ping */, 0x1f /* reset connection */ :
		return n == 1
	case comStmtClose, comStmtReset, 0x0c /* process kill */ :
		return n == 5
	case comStmtFetch:
		return n == 9
	case 0x1b: // set option
		return n == 3
	case comStmtExecute, comStmtBulkExecute:
		return n >= 10
	case comStmtSendLongData:
		return n >= 7
	case comInitDB, comFieldList, comChangeUser:
		return n >= 2 && n < 4096 && printable(data[5:min(len(data), 5+min(n-1, 16))])
	case comQuery, comStmtPrepare:
		return n >= 2 && sqlText(data[5:min(len(data), 4+n, 5+32)])
	}
	return false
}

// sqlText accepts the start of SQL: text without control bytes, and at
// least one byte of it.
func sqlText(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			return false
		}
	}
	return true
}

// plausibleResponse checks that data starts the response to command cmd:
// the expected sequence id and a first byte that response can start with.
func plausibleResponse(data []byte, seq byte, cmd byte) bool {
	if len(data) < 5 || data[3] != seq {
		return false
	}
	n := int(data[0]) | int(data[1])<<8 | int(data[2])<<16
	if n == 0 {
		return false
	}
	if len(data) >= 4+n+4 && data[4+n+3] != seq+1 {
		return false // the next packet in the piece does not follow
	}
	b := data[4:]
	switch {
	case b[0] == 0xff:
		return n >= 9 && (len(b) < 4 || b[3] == '#')
	case cmd == comStatistics:
		return printable(b[:min(len(b), n, 16)])
	case b[0] == 0x00:
		return n >= 7 || cmd == comStmtFetch
	case b[0] == 0xfe:
		return n < 9 && cmd != comStmtPrepare
	case cmd == comStmtPrepare, cmd == comChangeUser, cmd == comStmtFetch:
		return false
	case b[0] == 0xfb:
		return cmd == comQuery
	case b[0] < 0xfb:
		return n <= 2 && b[0] > 0 // column count, with the metadata flag
	case b[0] == 0xfc:
		return n == 3 || n == 4
	}
	return false
}
