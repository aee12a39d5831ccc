package postgres

import (
	"bytes"
	"encoding/binary"
)

// conv matches client messages with the server's responses. The server
// answers in the order it reads, so a queue of what the client sent, in
// order, tells what each response belongs to.
type conv struct {
	p        *Parser
	user, db string
	queue    []*item
	stmts    map[string]*stmt   // prepared statements by name
	portals  map[string]*portal // bound portals by name
	group    *group             // client messages since the last Execute or Query
	last     *group             // the last Execute's or Query's: COPY data joins it
	resp     group              // server messages since the last exchange
	synced   bool               // responses are matched to the queue
	atZ      bool               // unsynced: the last server message was ReadyForQuery
	skipping bool               // after an extended-protocol error, until Sync
	why      string             // why a statement is unknown
}

// group spans request or response messages.
type group struct {
	start, end uint64
	bytes      int64
}

func (g *group) add(m *msg) {
	if g.bytes == 0 {
		g.start = m.start
	}
	g.end = m.end
	g.bytes += m.size()
}

type stmt struct {
	raw, op string
	norm    string // Normalize(raw), once: prepared statements run many times
	normed  bool
}

func (s *stmt) normalized() string {
	if !s.normed {
		s.norm, s.normed = Normalize(s.raw), true
	}
	return s.norm
}

type portal struct {
	name   string // the statement's
	st     *stmt  // nil when unknown
	why    string
	values []string
}

// item is a client message awaiting its response.
type item struct {
	kind    byte     // the client message type; 0 for a StartupMessage
	name    string   // statement (Parse), portal (Bind, Execute), either (Close); Describe: 'S' or 'P'
	stmt    string   // Bind: the statement; Close: 'S' or 'P'; Describe: the name
	st      *stmt    // Parse: the statement
	partial bool     // Bind: the names were not captured
	values  []string // Bind: the parameters (see Exchange.Values)
	start   uint64
	req     *group
	// Query
	raw    string
	parts  []string
	split  bool
	done   int
	failed bool
}

func cstring(b []byte) (string, []byte, bool) {
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return "", nil, false
	}
	return string(b[:i]), b[i+1:], true
}

func (c *conv) clientMsg(m *msg) {
	it := &item{kind: m.typ, start: m.start}
	switch m.typ {
	case 0:
		c.startup(m)
		return
	case 'Q':
		c.group = &group{}
		c.group.add(m)
		it.req, c.last, c.group = c.group, c.group, nil
		it.raw = string(m.body)
		if i := bytes.IndexByte(m.body, 0); i >= 0 {
			it.raw = it.raw[:i]
		} else {
			m.partial = true
		}
		if !m.partial {
			it.parts, it.split = splitStatements(it.raw)
		}
	case 'P':
		name, rest, ok := cstring(m.body)
		if !ok {
			name = "\x00?" // not captured: never matches a Bind
		}
		text, _, ok := cstring(rest)
		if !ok {
			text = string(rest)
		}
		it.name = name
		it.st = &stmt{raw: text, op: firstKeyword(text)}
		c.request(m, it)
	case 'B':
		portal, rest, ok1 := cstring(m.body)
		name, rest, ok2 := cstring(rest)
		it.name, it.stmt, it.partial = portal, name, !ok1 || !ok2
		it.values = bindValues(rest)
		c.request(m, it)
	case 'D':
		if len(m.body) > 0 { // 'S'tatement or 'P'ortal, then its name
			it.name = string(m.body[:1])
			it.stmt, _, _ = cstring(m.body[1:])
		}
		c.request(m, it)
	case 'E':
		it.name, _, _ = cstring(m.body)
		c.request(m, it)
		c.last, c.group = c.group, nil
	case 'C':
		if len(m.body) > 0 {
			it.stmt = string(m.body[:1])
			it.name, _, _ = cstring(m.body[1:])
		}
	case 'S', 'F':
		c.group = nil
	case 'd', 'c', 'f':
		if c.last != nil {
			c.last.add(m)
		}
		return
	default: // Flush, Terminate, authentication responses: no answer
		return
	}
	if len(c.queue) >= maxQueued {
		c.desync("too many requests awaiting responses")
	}
	c.queue = append(c.queue, it)
}

// request adds an extended-protocol message to the current group.
func (c *conv) request(m *msg, it *item) {
	if c.group == nil {
		c.group = &group{}
	}
	c.group.add(m)
	it.req = c.group
}

func (c *conv) startup(m *msg) {
	if len(m.body) < 4 {
		return
	}
	switch binary.BigEndian.Uint32(m.body) {
	case codeSSL, codeGSSENC:
		c.p.fr[c.p.reqDir^1].answer = true
	case codeCancel:
	default:
		c.user, c.db = startupParams(m.body)
		c.p.fr[c.p.reqDir].mode = modeTyped
		c.queue = append(c.queue, &item{kind: 0, start: m.start})
	}
}

// clientLost: requests may have gone by unseen, so statements and
// portals may have been redefined.
func (c *conv) clientLost(why string) {
	c.p.Stats.add("client " + why)
	c.desync("request lost in a capture gap")
	c.stmts, c.portals = nil, nil
	c.why = "statement prepared before a capture gap"
}

func (c *conv) serverLost(why string) {
	c.p.Stats.add("server " + why)
	c.desync("response lost in a capture gap")
}

// desync gives up matching until the streams are known to line up again.
func (c *conv) desync(reason string) {
	c.flush(reason)
	c.synced, c.atZ, c.skipping = false, false, false
	c.group, c.last = nil, nil
	c.resp = group{}
}

// flush emits the queued queries as incomplete. Parse, Bind and Close
// take effect as if they had succeeded (a failure would fail what follows
// too), except that a redefinition makes a name unknown.
func (c *conv) flush(reason string) {
	q := c.queue
	c.queue = nil
	for _, it := range q {
		switch it.kind {
		case 'P':
			if _, dup := c.stmts[it.name]; dup && it.name != "" {
				delete(c.stmts, it.name)
			} else {
				c.define(it)
			}
		case 'B':
			c.bind(it)
		case 'C':
			c.close(it)
		case 'E':
			x := c.execute(it)
			x.Incomplete, x.Reason = true, reason
			c.send(x)
		case 'Q':
			if it.failed || (it.done > 0 && (!it.split || it.done >= len(it.parts))) {
				continue
			}
			x := c.query(it)
			x.Incomplete, x.Reason = true, reason
			c.send(x)
		}
	}
}

func (c *conv) define(it *item) {
	if c.stmts == nil {
		c.stmts = map[string]*stmt{}
	}
	if _, ok := c.stmts[it.name]; !ok && len(c.stmts) >= maxPrepared {
		for k := range c.stmts { // forget one: its executions become unknown
			delete(c.stmts, k)
			c.p.Stats.add("too many prepared statements")
			break
		}
	}
	c.stmts[it.name] = it.st
}

func (c *conv) bind(it *item) {
	if c.portals == nil {
		c.portals = map[string]*portal{}
	}
	pt := &portal{name: it.stmt, st: c.stmts[it.stmt], values: it.values}
	switch {
	case it.partial:
		pt.why = "bind not captured"
	case pt.st == nil:
		pt.why = c.unknown()
	}
	if len(c.portals) >= maxPrepared {
		clear(c.portals)
	}
	c.portals[it.name] = pt
}

func (c *conv) close(it *item) {
	if it.stmt == "S" {
		delete(c.stmts, it.name)
	} else {
		delete(c.portals, it.name)
	}
}

func (c *conv) unknown() string {
	if c.why != "" {
		return c.why
	}
	return "statement not seen"
}
