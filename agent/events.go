package agent

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Event types and roles, as bpf/capture.h numbers them.
const (
	evData  = 1
	evOpen  = 2
	evClose = 3
	evExit  = 4
	evExec  = 5

	roleUnknown = 0
	roleClient  = 1
	roleServer  = 2

	dataHeaderSize = 56
	connEventSize  = 96

	// flagTLS marks a data event carrying a TLS library call's plaintext,
	// with the connection's plaintext offsets.
	flagTLS = 1
)

// dataEvent is a decoded vigil_data_event; Data aliases the record buffer.
type dataEvent struct {
	Dir        uint8
	Flags      uint8
	TGID, TID  uint32
	FD         int32
	ConnID     uint64
	Off        uint64
	Start, End uint64
	Len        uint32
	Data       []byte
}

// connEvent is a decoded vigil_conn_event.
type connEvent struct {
	Type      uint8
	Role      uint8
	TGID, TID uint32
	FD        int32
	ConnID    uint64
	TS        uint64
	CgroupID  uint64
	Off       [2]uint64
	Local     netip.AddrPort
	Remote    netip.AddrPort
	SockType  uint16 // sockStream or sockDgram
	Comm      string // exec events: the program's name
}

// Socket types (Linux SOCK_STREAM, SOCK_DGRAM); 0 when unknown.
const (
	sockStream = 1
	sockDgram  = 2
)

var le = binary.LittleEndian

func decodeData(b []byte, ev *dataEvent) error {
	if len(b) < dataHeaderSize {
		return fmt.Errorf("data event of %d bytes, want at least %d", len(b), dataHeaderSize)
	}
	ev.Dir = b[1]
	ev.Flags = b[2]
	ev.TGID = le.Uint32(b[4:])
	ev.TID = le.Uint32(b[8:])
	ev.FD = int32(le.Uint32(b[12:]))
	ev.ConnID = le.Uint64(b[16:])
	ev.Off = le.Uint64(b[24:])
	ev.Start = le.Uint64(b[32:])
	ev.End = le.Uint64(b[40:])
	ev.Len = le.Uint32(b[48:])
	capLen := int(le.Uint32(b[52:]))
	if capLen > len(b)-dataHeaderSize || capLen > int(ev.Len) || ev.Dir > 1 {
		return fmt.Errorf("data event claims %d captured bytes of %d with %d present (direction %d)", capLen, ev.Len, len(b)-dataHeaderSize, ev.Dir)
	}
	ev.Data = b[dataHeaderSize : dataHeaderSize+capLen]
	return nil
}

func decodeConn(b []byte, ev *connEvent) error {
	if len(b) < connEventSize {
		return fmt.Errorf("connection event of %d bytes, want %d", len(b), connEventSize)
	}
	ev.Type = b[0]
	ev.Role = b[1]
	family := le.Uint16(b[2:])
	ev.TGID = le.Uint32(b[4:])
	ev.TID = le.Uint32(b[8:])
	ev.FD = int32(le.Uint32(b[12:]))
	ev.ConnID = le.Uint64(b[16:])
	ev.TS = le.Uint64(b[24:])
	ev.CgroupID = le.Uint64(b[32:])
	ev.Off[0] = le.Uint64(b[40:])
	ev.Off[1] = le.Uint64(b[48:])
	ev.Comm = ""
	if ev.Type == evExec {
		comm := b[56:72]
		if i := bytes.IndexByte(comm, 0); i >= 0 {
			comm = comm[:i]
		}
		ev.Comm = string(comm)
		return nil
	}
	lport, rport := le.Uint16(b[88:]), le.Uint16(b[90:])
	ev.SockType = le.Uint16(b[92:])
	var l, r netip.Addr
	switch family {
	case 2:
		l = netip.AddrFrom4([4]byte(b[56:60]))
		r = netip.AddrFrom4([4]byte(b[72:76]))
	case 10:
		l = netip.AddrFrom16([16]byte(b[56:72])).Unmap()
		r = netip.AddrFrom16([16]byte(b[72:88])).Unmap()
	}
	if l.IsValid() {
		ev.Local = netip.AddrPortFrom(l, lport)
		ev.Remote = netip.AddrPortFrom(r, rport)
	}
	return nil
}
