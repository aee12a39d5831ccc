package mysql

import "strings"

// rstate is where a command's response is.
type rstate uint8

const (
	rsFirst     rstate = iota // a result starts: OK, ERR, EOF, LOCAL INFILE or a column count
	rsColDefs                 // column definitions: count left
	rsMetaEOF                 // after the definitions: EOF unless deprecated, else the first row
	rsRows                    // rows until EOF/OK (0xfe) or ERR
	rsInfile                  // LOCAL INFILE: the client sends the file, then an empty packet
	rsPrepDefs                // PREPARE: parameter then column definitions
	rsAuth                    // CHANGE_USER: authentication until OK or ERR
	rsStats                   // STATISTICS: one text packet
	rsFieldList               // FIELD_LIST: definitions until EOF
	rsNone                    // no response
)

// command is one command and the state of its response.
type command struct {
	x       Exchange
	code    byte
	seq     byte // next sequence id of this command's conversation
	st      rstate
	count   int64 // definitions left
	params  int64 // PREPARE: parameter definitions (then count is the columns)
	eofWait bool  // PREPARE: a definition list ended, its EOF is due or may come
	rows    int64
	started bool // a response packet was seen
	lost    bool // the response cannot be followed: counted, not parsed
	resync  bool // commands may have been missed before it: find its response at a syscall boundary
	done    bool
	arg     string // INIT_DB database, CHANGE_USER user
	argDB   string // CHANGE_USER database
}

// clientPacket handles a client packet.
func (p *Parser) clientPacket(pk *packet) {
	switch p.state {
	case StateHandshake:
		p.hsClient(pk)
		return
	case StateCommand:
	default:
		return
	}
	if c := p.head(); c != nil && !c.lost && (c.st == rsInfile || c.st == rsAuth) && pk.seq == c.seq && pk.seq != 0 {
		c.seq = pk.last + 1
		c.x.RequestBytes += pk.wire
		if c.st == rsInfile && pk.n == 0 {
			c.st = rsFirst // the file ended: OK or ERR follows
		}
		return
	}
	if pk.seq != 0 || len(pk.data) == 0 {
		p.Stats.add("client packet out of sequence")
		p.fr[p.reqDir].lose("client packet out of sequence", pk.end)
		return
	}
	if c := p.head(); c != nil && c.lost {
		// The lost response ended when this command was sent; responses of
		// any command queued behind it went by unparsed too.
		for len(p.queue) > 0 {
			q := p.queue[0]
			q.x.Rows = -1
			if !q.x.Incomplete {
				q.x.Incomplete, q.x.Reason = true, "response framing lost"
			}
			p.send(q)
		}
		p.reqLost = true
	}
	if len(p.queue) >= maxQueued {
		p.Stats.add("too many pipelined commands")
		q := p.queue[0]
		q.x.Incomplete, q.x.Reason, q.x.Rows = true, "no response before later commands", -1
		p.send(q)
		p.reqLost = true
	}
	c := p.newCommand(pk)
	// Bytes before this command were missed: responses to commands we did
	// not see may come first, so this one's must be found afresh.
	c.resync, p.reqLost = p.reqLost, false
	p.queue = append(p.queue, c)
	p.advance()
}

func (p *Parser) newCommand(pk *packet) *command {
	b := pk.data
	c := &command{code: b[0], seq: pk.last + 1, x: Exchange{
		Command: commandNames[b[0]], Rows: -1, User: p.user, Database: p.db,
		RequestDir: p.reqDir, RequestStart: pk.start, RequestEnd: pk.end, RequestBytes: pk.wire,
	}}
	if c.x.Command == "" {
		c.x.Command = "COM_UNKNOWN"
	}
	arg := b[1:]
	switch c.code {
	case comQuery, comStmtPrepare:
		if c.code == comQuery && len(arg) > 0 && arg[0] < 0x20 && !isSpace(arg[0]) {
			// MySQL query attributes: parameter count and set count first.
			// Only the common no-attributes form is read.
			if len(arg) >= 2 && arg[0] == 0 && arg[1] == 1 {
				arg = arg[2:]
			} else {
				c.x.Incomplete, c.x.Reason = true, "query attributes not parsed"
				arg = nil
			}
		}
		if arg != nil {
			sql := string(arg)
			c.x.Statement = Normalize(sql)
			c.x.Operation = Operation(sql)
			c.x.Truncated = pk.short || int64(len(b)) < pk.n || len(c.x.Statement) >= maxStatement
		}
	case comInitDB:
		c.arg = cut(string(arg), 256)
		c.x.Database = c.arg
	case comChangeUser:
		if user, rest, ok := cstring(arg); ok {
			c.arg = cut(string(user), 256)
			if db, ok := changeUserDB(rest, p.caps()); ok {
				c.argDB = db
			}
		}
	case comStmtExecute, comStmtBulkExecute, comStmtFetch, comStmtReset, comStmtClose, comStmtSendLongData:
		if len(arg) >= 4 {
			c.x.StatementID = le32(arg)
		}
	}
	switch c.code {
	case comQuit, comStmtClose, comStmtSendLongData:
		c.st, c.done = rsNone, true
	case comStmtPrepare:
		c.st = rsFirst
	case comStmtFetch:
		c.st = rsRows
	case comChangeUser:
		c.st = rsAuth
	case comStatistics:
		c.st = rsStats
	case comFieldList:
		c.st = rsFieldList
	case comBinlogDump, comBinlogDumpGTID:
		p.state = StateReplication // a binlog event stream follows
	}
	return c
}

// changeUserDB reads the database of a COM_CHANGE_USER after the user.
func changeUserDB(b []byte, caps uint64) (string, bool) {
	if caps&capSecureConn != 0 || caps == 0 {
		if len(b) < 1 || len(b) < 1+int(b[0]) {
			return "", false
		}
		b = b[1+int(b[0]):]
	} else if _, r, ok := cstring(b); ok {
		b = r
	} else {
		return "", false
	}
	db, _, ok := cstring(b)
	return cut(string(db), 256), ok
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// advance emits the finished commands at the head of the queue, in order.
func (p *Parser) advance() {
	for len(p.queue) > 0 && p.queue[0].done {
		p.send(p.queue[0])
	}
	if c := p.head(); c != nil && c.resync && !c.started {
		p.fr[p.reqDir^1].sync = false
	}
}

// send pops the head and emits its exchange, resolving prepared statements
// now so that a CLOSE queued behind an EXECUTE does not forget it early.
func (p *Parser) send(c *command) {
	p.queue[0] = nil
	p.queue = p.queue[1:]
	if len(p.queue) == 0 {
		p.queue = p.queue[:0:0]
	}
	x := c.x
	switch c.code {
	case comStmtExecute, comStmtBulkExecute, comStmtFetch, comStmtReset, comStmtClose:
		s, ok := p.stmts[x.StatementID]
		if x.StatementID == 0xffffffff {
			s, ok = p.lastPrep, p.lastPrep.ok
		}
		if ok {
			x.Statement, x.Operation, x.Truncated = s.sql, s.op, s.truncated
		} else if c.code == comStmtExecute || c.code == comStmtBulkExecute {
			reason := "unknown statement id"
			if p.gaps {
				reason = "statement prepared before capture"
			}
			if !x.Incomplete {
				x.Incomplete, x.Reason = true, reason
			}
		}
		if c.code == comStmtClose {
			delete(p.stmts, x.StatementID)
		}
	}
	p.emit(x)
}

// remember stores a prepared statement's text under its id.
func (p *Parser) remember(id uint32, c *command) {
	if p.stmts == nil {
		p.stmts = map[uint32]stmt{}
	}
	if _, ok := p.stmts[id]; !ok && len(p.stmts) >= maxStmts {
		p.Stats.add("too many prepared statements")
		for k := range p.stmts { // forget one: its executions become incomplete
			delete(p.stmts, k)
			break
		}
	}
	s := stmt{sql: c.x.Statement, op: c.x.Operation, truncated: c.x.Truncated, ok: true}
	p.stmts[id] = s
	p.lastPrep = s
}

// applyOK records what a successful command changed in the session.
func (p *Parser) applyOK(c *command) {
	switch {
	case c.code == comInitDB:
		p.db = c.arg
	case c.code == comChangeUser:
		p.user, p.db = c.arg, c.argDB
	case c.code == comQuery && c.x.Operation == "USE" && !c.x.Truncated:
		if f := strings.Fields(c.x.Statement); len(f) == 2 && strings.EqualFold(f[0], "USE") && !strings.ContainsAny(f[1], "?;") {
			p.db = cut(strings.Trim(f[1], "`"), 256)
		}
	}
}
