package dnswire

import "github.com/vigil-dev/vigil/internal/reassembly"

// UDP follows one UDP socket talking to one peer: each datagram, in
// either direction, is one DNS message. It is not safe for concurrent use.
type UDP struct {
	m     matcher
	Stats Stats
}

// NewUDP returns a matcher for one (socket, peer); emit gets every
// exchange, complete or not.
func NewUDP(emit func(Exchange)) *UDP {
	u := &UDP{}
	u.m = matcher{emit: emit, transport: "udp", stats: &u.Stats}
	return u
}

// Datagram takes one datagram moved by one syscall: data is its captured
// head, size its full length. data is not retained.
func (u *UDP) Datagram(dir reassembly.Direction, data []byte, size int, start, end uint64) {
	dir &= 1
	size = max(size, len(data))
	var m message
	if why := parse(data, size, &m); why != "" {
		u.Stats.add(why)
		return
	}
	if m.response() {
		u.m.response(dir, &m, start, end, int64(size))
	} else {
		u.m.query(dir, &m, start, end, int64(size))
	}
}

// Expire ends, as Incomplete "no response", the queries last sent timeout
// ns or more before now (monotonic ns). A response arriving later is
// counted as without query.
func (u *UDP) Expire(now, timeout uint64) { u.m.expire(now, timeout) }

// Close ends every query still waiting, as Incomplete "no response".
func (u *UDP) Close() { u.m.flush(ReasonNoResponse) }

// InFlight is the number of queries waiting for a response.
func (u *UDP) InFlight() int { return len(u.m.inflight) }
