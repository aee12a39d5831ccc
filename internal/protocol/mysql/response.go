package mysql

// serverPacket handles a server packet.
func (p *Parser) serverPacket(pk *packet) {
	switch p.state {
	case StateHandshake:
		p.hsServer(pk)
		return
	case StateCommand:
	default:
		return
	}
	if p.optEOF {
		p.optEOF = false
		if pk.seq == p.optSeq && isEOF(pk) && pk.n < 7 {
			p.eofKnown, p.deprecateEOF = true, false
			return // the EOF after a PREPARE's definitions
		}
	}
	c := p.head()
	if c == nil {
		p.Stats.add("response without command")
		p.fr[p.reqDir^1].sync = false
		return
	}
	if pk.seq != c.seq {
		p.Stats.add("response sequence mismatch")
		p.loseResponse(c, "response sequence mismatch")
		return
	}
	c.seq = pk.last + 1
	if !c.started {
		c.started = true
		c.x.ResponseStart = pk.start
	}
	c.x.ResponseEnd = pk.end
	c.x.ResponseBytes += pk.wire
	if len(pk.data) == 0 {
		// An empty packet, or one whose first byte was not captured: its
		// meaning is unknown, so the rest cannot be followed.
		p.Stats.add("response packet not captured")
		p.loseResponse(c, "response packet not captured")
		return
	}
	p.respond(c, pk)
	if c.done {
		p.advance()
	}
}

// respond advances a command's response by one packet.
func (p *Parser) respond(c *command, pk *packet) {
	b := pk.data
	if b[0] == 0xff && c.st != rsColDefs && c.st != rsPrepDefs && c.st != rsStats {
		e, ok := parseERR(b)
		if ok && e.progress {
			return // MariaDB progress report
		}
		c.x.ErrorCode, c.x.SQLState, c.x.Error = e.code, e.state, e.message
		if c.st == rsRows {
			p.addRows(c, c.rows)
		}
		c.done = true
		return
	}
	switch c.st {
	case rsFirst:
		p.first(c, pk)
	case rsColDefs, rsFieldList:
		if c.st == rsFieldList && isEOF(pk) {
			c.done = true
			return
		}
		if c.count--; c.count == 0 && c.st == rsColDefs {
			c.st = rsMetaEOF
		}
	case rsMetaEOF:
		c.st = rsRows
		if isEOF(pk) && pk.n < 7 { // the EOF after definitions: EOF is not deprecated
			p.eofKnown, p.deprecateEOF = true, false
			if st, _ := terminatorStatus(pk); st&statusCursor != 0 && st&statusMoreResults == 0 {
				p.addRows(c, 0) // a cursor: rows come with COM_STMT_FETCH
				c.done = true
			}
			return
		}
		if !p.eofKnown {
			p.eofKnown, p.deprecateEOF = true, true
		}
		p.rowPacket(c, pk)
	case rsRows:
		p.rowPacket(c, pk)
	case rsPrepDefs:
		p.prepDef(c, pk)
	case rsAuth:
		if b[0] == 0x00 {
			p.applyOK(c)
			c.done = true
		} // 0xfe auth switch, 0x01 more data: the client answers
	case rsStats:
		c.done = true
	case rsInfile:
		p.Stats.add("server packet during LOCAL INFILE")
		p.loseResponse(c, "server packet during LOCAL INFILE")
	}
}

// first reads the packet that starts a result.
func (p *Parser) first(c *command, pk *packet) {
	b := pk.data
	switch {
	case b[0] == 0x00 && c.code == comStmtPrepare:
		if len(b) < 9 {
			p.loseResponse(c, "response packet not captured")
			return
		}
		c.x.StatementID = le32(b[1:])
		c.count, c.params = int64(le16(b[5:])), int64(le16(b[7:]))
		p.remember(c.x.StatementID, c)
		c.st = rsPrepDefs
		p.prepCheck(c)
	case b[0] == 0x00:
		o, ok := parseOK(b)
		if !ok {
			p.loseResponse(c, "response packet not captured")
			return
		}
		p.addRows(c, int64(min(o.affected, 1<<62)))
		p.applyOK(c)
		c.done = o.status&statusMoreResults == 0
	case b[0] == 0xfe && pk.n < 9: // EOF: SET_OPTION, DEBUG, SHUTDOWN
		st, _ := terminatorStatus(pk)
		c.done = st&statusMoreResults == 0
	case b[0] == 0xfb && c.code == comQuery:
		c.st = rsInfile
	default:
		n, k, ok := lenenc(b)
		if !ok || n == 0 || n > 1<<16 || c.code == comStmtPrepare {
			p.loseResponse(c, "unexpected response packet")
			return
		}
		c.count, c.rows = int64(n), 0
		c.st = rsColDefs
		// A metadata-follows byte (MariaDB metadata cache, MySQL optional
		// metadata): 0 means no definitions are sent.
		if pk.n == int64(k)+1 && len(b) > k && b[k] == 0 {
			c.st = rsMetaEOF
		}
	}
}

// rowPacket counts a row or ends the result set.
func (p *Parser) rowPacket(c *command, pk *packet) {
	if !isEOF(pk) {
		c.rows++
		return
	}
	p.addRows(c, c.rows)
	st, ok := terminatorStatus(pk)
	if !ok {
		p.loseResponse(c, "response packet not captured")
		return
	}
	if st&statusMoreResults != 0 {
		c.st = rsFirst
		return
	}
	c.done = true
}

// prepDef reads a definition or an EOF of a PREPARE response: parameter
// definitions, then column definitions, each list followed by an EOF
// unless EOF is deprecated (when that is not known yet, the EOF may come).
func (p *Parser) prepDef(c *command, pk *packet) {
	switch {
	case c.eofWait && isEOF(pk) && pk.n < 7:
		c.eofWait = false
		p.eofKnown, p.deprecateEOF = true, false
	case c.eofWait && p.eofKnown && !p.deprecateEOF:
		p.loseResponse(c, "unexpected response packet")
		return
	case c.params > 0:
		c.params--
		c.eofWait = c.params == 0 && !(p.eofKnown && p.deprecateEOF)
	case c.count > 0:
		c.count--
		c.eofWait = c.count == 0 && !(p.eofKnown && p.deprecateEOF)
	default:
		p.loseResponse(c, "unexpected response packet")
		return
	}
	p.prepCheck(c)
}

// prepCheck ends a PREPARE response when nothing more is due.
func (p *Parser) prepCheck(c *command) {
	if c.params > 0 || c.count > 0 {
		return
	}
	if c.eofWait {
		if p.eofKnown {
			return // the EOF is due
		}
		p.optEOF, p.optSeq = true, c.seq // it may come: skipped if it does
	}
	c.done = true
}

func (p *Parser) addRows(c *command, n int64) {
	if c.x.Rows < 0 {
		c.x.Rows = 0
	}
	c.x.Rows += n
}
