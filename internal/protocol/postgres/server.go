package postgres

// serverMsg matches one backend message with the head of the queue.
func (c *conv) serverMsg(m *msg) {
	if m.answer {
		if m.typ != 'N' {
			c.p.state = StateEncrypted // TLS or GSS: nothing more to read
		}
		return
	}
	switch m.typ {
	case 'N', 'A', 'S': // notices, notifications, parameter changes: any time
		return
	}
	if !c.synced && !c.resync(m) {
		return
	}
	if c.skipping {
		for len(c.queue) > 0 && c.queue[0].kind != 'S' {
			if c.queue[0].kind == 'E' || c.queue[0].kind == 'Q' {
				c.p.Stats.add("skipped after error")
			}
			c.queue = c.queue[1:]
		}
	}
	if len(c.queue) == 0 {
		c.p.Stats.add("response without request")
		return
	}
	c.resp.add(m)
	if !c.match(c.queue[0], m) {
		c.desync("unexpected response")
		c.atZ = m.typ == 'Z'
	}
}

// resync decides whether matching can start again at m: the server had
// gone quiet (ReadyForQuery) before the head of the queue was sent, and m
// came after it was.
func (c *conv) resync(m *msg) bool {
	fresh := len(c.queue) > 0 && m.end >= c.queue[0].start
	if fresh && c.atZ {
		c.synced = true
		c.resp = group{}
		return true
	}
	if fresh { // mid-answer: to what, is unknown
		c.flush("response not matched after a capture gap")
	}
	c.atZ = m.typ == 'Z'
	return false
}

func (c *conv) pop() {
	c.queue[0] = nil
	c.queue = c.queue[1:]
}

// match applies m to the request it answers; false when it cannot be an
// answer to it.
func (c *conv) match(it *item, m *msg) bool {
	ext := it.kind != 'Q' && it.kind != 0 && it.kind != 'F'
	if m.typ == 'E' && ext {
		if it.kind != 'C' && it.kind != 'S' {
			x := c.execute(it)
			c.fail(&x, m)
			c.send(x)
		}
		c.pop()
		c.skipping = true
		return true
	}
	switch it.kind {
	case 0: // authentication, then ReadyForQuery
		switch m.typ {
		case 'R', 'K', 'v':
		case 'E':
			c.p.Stats.add("startup failed")
			c.pop()
		case 'Z':
			c.pop()
			c.resp = group{}
		default:
			return false
		}
	case 'Q', 'F':
		switch m.typ {
		case 'T', 'D', 'G', 'H', 'W', 'd', 'c', 'V':
		case 'C', 'I':
			x := c.query(it)
			c.complete(&x, m)
			c.send(x)
			if it.kind == 'Q' {
				c.forgetByTag(x.CommandTag)
			}
		case 'E':
			if it.kind == 'Q' {
				x := c.query(it)
				c.fail(&x, m)
				c.send(x)
			}
			it.failed = true
		case 'Z':
			c.pop()
			c.resp = group{}
		default:
			return false
		}
	case 'P':
		if m.typ != '1' {
			return false
		}
		c.define(it)
		c.pop()
	case 'B':
		if m.typ != '2' {
			return false
		}
		c.bind(it)
		c.pop()
	case 'D':
		switch m.typ {
		case 't':
		case 'T', 'n':
			c.pop()
		default:
			return false
		}
	case 'C':
		if m.typ != '3' {
			return false
		}
		c.close(it)
		c.pop()
	case 'S':
		if m.typ != 'Z' {
			return false
		}
		c.pop()
		c.skipping = false
		c.resp = group{}
	case 'E':
		switch m.typ {
		case 'D', 'G', 'H', 'W', 'd', 'c':
		case 'C', 'I', 's':
			x := c.execute(it)
			c.complete(&x, m)
			c.send(x)
			c.forgetByTag(x.CommandTag)
			c.pop()
		default:
			return false
		}
	default:
		return false
	}
	return true
}

// base fills what every exchange of a request carries.
func (c *conv) base(it *item) Exchange {
	x := Exchange{Database: c.db, User: c.user, RequestDir: c.p.reqDir, Rows: -1,
		ResponseStart: c.resp.start, ResponseEnd: c.resp.end, ResponseBytes: c.resp.bytes}
	if it.req != nil {
		x.RequestStart, x.RequestEnd, x.RequestBytes = it.req.start, it.req.end, it.req.bytes
	}
	return x
}

// query is the exchange of the next statement of a simple Query.
func (c *conv) query(it *item) Exchange {
	x := c.base(it)
	raw := it.raw
	if it.split && it.done < len(it.parts) {
		raw = it.parts[it.done]
	}
	if it.done > 0 { // the Query's bytes count once, with its first statement
		x.RequestBytes = 0
	}
	it.done++
	x.Statement, x.Operation = Normalize(raw), firstKeyword(raw)
	x.Values = Literals(raw)
	return x
}

// execute is the exchange of an extended-protocol message (normally
// Execute; Parse, Bind or Describe when they fail).
func (c *conv) execute(it *item) Exchange {
	x := c.base(it)
	x.Prepared = true
	var st *stmt
	why := ""
	switch it.kind {
	case 'P':
		st, x.StatementName = it.st, it.name
	case 'B', 'D':
		// A failing Bind or Describe names its statement or portal; the
		// statement is that of the latest Parse or Bind when unnamed.
		if s, ok := c.stmts[it.stmt]; ok && (it.kind == 'B' || it.name == "S") {
			st, x.StatementName = s, it.stmt
		} else if pt := c.portals[it.stmt]; pt != nil && it.kind == 'D' {
			st, x.StatementName = pt.st, pt.name
		}
	default:
		pt := c.portals[it.name]
		if pt == nil {
			why = c.unknown()
		} else {
			st, x.StatementName, why = pt.st, pt.name, pt.why
			x.Values = pt.values
		}
	}
	if st != nil {
		x.Statement, x.Operation = st.normalized(), st.op
	} else if it.kind == 'E' {
		x.Incomplete, x.Reason = true, why
	}
	return x
}

// complete reads a CommandComplete (or the ends without a tag).
func (c *conv) complete(x *Exchange, m *msg) {
	switch m.typ {
	case 'C':
		tag, _, _ := cstring(m.body)
		op, rows := tagInfo(tag)
		x.CommandTag, x.Rows = tag, rows
		if op != "" {
			x.Operation = op
		}
	case 's':
		x.CommandTag = "" // suspended: more rows may be fetched later
	}
}

// fail reads an ErrorResponse's SQLSTATE and message.
func (c *conv) fail(x *Exchange, m *msg) {
	b := m.body
	for len(b) > 1 && b[0] != 0 {
		code := b[0]
		v, rest, ok := cstring(b[1:])
		if !ok {
			v, rest = string(b[1:]), nil
		}
		switch code {
		case 'C':
			if ok && len(v) == 5 {
				x.SQLState = v
			}
		case 'M':
			x.Error = cut(v, maxError)
		}
		b = rest
	}
	if x.SQLState == "" { // an error it was, but its code was not captured
		x.Incomplete, x.Reason = true, "error not captured"
	}
}

// forgetByTag drops statements a DEALLOCATE or DISCARD removed. The name is
// not read back from SQL: all are forgotten, which is never wrong.
func (c *conv) forgetByTag(tag string) {
	if tag == "DEALLOCATE" || tag == "DEALLOCATE ALL" || tag == "DISCARD ALL" {
		clear(c.stmts)
		c.why = "statement prepared before DEALLOCATE"
	}
}

func (c *conv) send(x Exchange) {
	c.resp = group{}
	c.p.emit(x)
}
