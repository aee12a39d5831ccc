package dnswire

import "github.com/vigil-dev/vigil/internal/reassembly"

// maxInFlight bounds the queries waiting on one socket or connection; a
// forwarder may have many, a stub a handful.
const maxInFlight = 256

// pending is a query waiting for its response.
type pending struct {
	dir        reassembly.Direction
	id         uint16
	q          question
	start, end uint64
	bytes      int64
}

// matcher pairs responses with the queries in flight. Responses may come
// in any order (parallel A and AAAA, RFC 7766 pipelining over TCP).
type matcher struct {
	emit      func(Exchange)
	transport string
	inflight  []pending
	stats     *Stats
}

func (m *matcher) find(dir reassembly.Direction, id uint16, q *question) int {
	for i := range m.inflight {
		p := &m.inflight[i]
		if p.dir == dir && p.id == id && p.q.equal(q) {
			return i
		}
	}
	return -1
}

func (m *matcher) query(dir reassembly.Direction, msg *message, start, end uint64, bytes int64) {
	if !msg.hasQuestion {
		m.stats.add(errCount)
		return
	}
	if i := m.find(dir, msg.id, &msg.q); i >= 0 {
		// The same ID and question again: the client retrying after a
		// timeout. The exchange began with the first send.
		m.stats.add(ReasonRetransmit)
		m.inflight[i].end = end
		m.inflight[i].bytes += bytes
		return
	}
	if len(m.inflight) >= maxInFlight {
		m.drop(0, ReasonTooManyInFlight)
	}
	m.inflight = append(m.inflight, pending{dir: dir, id: msg.id, q: msg.q, start: start, end: end, bytes: bytes})
}

func (m *matcher) response(dir reassembly.Direction, msg *message, start, end uint64, bytes int64) {
	i := -1
	if msg.hasQuestion {
		i = m.find(dir^1, msg.id, &msg.q)
	} else {
		// An error response without a question (FORMERR, NOTIMP): only
		// an unambiguous ID identifies its query.
		for j := range m.inflight {
			if m.inflight[j].dir == dir^1 && m.inflight[j].id == msg.id {
				if i >= 0 {
					i = -2
					break
				}
				i = j
			}
		}
	}
	if i < 0 {
		m.stats.add(ReasonOrphanResponse)
		return
	}
	x := m.exchange(&m.inflight[i])
	x.RCode = RCodeName(msg.rcode())
	x.Answers = int(msg.an)
	x.Truncated = msg.truncated()
	x.ResponseStart, x.ResponseEnd, x.ResponseBytes = start, end, bytes
	m.remove(i)
	m.stats.Exchanges++
	m.emit(x)
}

func (m *matcher) exchange(p *pending) Exchange {
	return Exchange{
		ID: p.id, Name: presentation(p.q.name[:p.q.n]), Type: TypeName(p.q.qtype),
		Transport: m.transport, RequestDir: p.dir,
		RequestStart: p.start, RequestEnd: p.end, RequestBytes: p.bytes,
	}
}

// drop ends the query at i without a response.
func (m *matcher) drop(i int, reason string) {
	x := m.exchange(&m.inflight[i])
	x.Incomplete, x.Reason = true, reason
	m.remove(i)
	m.stats.Exchanges++
	m.emit(x)
}

func (m *matcher) remove(i int) {
	copy(m.inflight[i:], m.inflight[i+1:])
	m.inflight = m.inflight[:len(m.inflight)-1]
}

// expire ends queries whose last send ended timeout ns or more before now.
func (m *matcher) expire(now, timeout uint64) {
	for i := 0; i < len(m.inflight); {
		if end := m.inflight[i].end; now >= end && now-end >= timeout {
			m.drop(i, ReasonNoResponse)
			continue
		}
		i++
	}
}

func (m *matcher) flush(reason string) {
	for len(m.inflight) > 0 {
		m.drop(0, reason)
	}
}
