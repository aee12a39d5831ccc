package agent

import (
	"regexp"
	"strconv"

	"github.com/vigil-dev/vigil/internal/protocol/mysql"
	"github.com/vigil-dev/vigil/internal/protocol/postgres"
	"github.com/vigil-dev/vigil/internal/span"
)

// postgresParser adapts postgres.Parser.
type postgresParser struct{ *postgres.Parser }

func newPostgresParser(c *conn) protoParser {
	return postgresParser{postgres.NewParser(func(x postgres.Exchange) { c.emitSpan(c.t.postgresSpan(c.t.newSpan(), c, &x)) }, c.joined)}
}

func (p postgresParser) Close(uint64) { p.Parser.Close() }
func (p postgresParser) Stopped() bool {
	st := p.State()
	return st == postgres.StateNotPostgres || st == postgres.StateEncrypted
}
func (p postgresParser) Errors() map[string]uint64 { return p.Stats.Errors }
func (p postgresParser) Name() string              { return "postgresql" }

// detectPostgres needs a whole message header (type and length, or a
// startup packet's length and code) before it judges.
func detectPostgres(b []byte) (bool, bool) {
	if len(b) < 8 {
		return false, false
	}
	_, ok := postgres.Detect(b)
	return ok, true
}

// postgresSpan is the span of one query: "SELECT" with the normalised
// statement, rows and SQLSTATE.
func (t *tracker) postgresSpan(s *span.Span, c *conn, x *postgres.Exchange) *span.Span {
	t.baseSpan(s, c, frame{reqDir: x.RequestDir, start: x.RequestStart, end: x.ResponseEnd, reqEnd: x.RequestEnd, incomplete: x.Incomplete, reason: x.Reason})
	s.Span.Name = sqlName(x.Operation, x.Statement)
	s.Span.Subtype = span.SubtypePostgres
	s.Span.Type = dbType(s.Span.Kind)
	s.DB = &span.DB{Type: "sql", Instance: x.Database, User: x.User, Statement: x.Statement,
		Operation: x.Operation, RowsAffected: x.Rows, ErrorCode: x.SQLState, Error: quotedValues(x.Error)}
	t.setTokens(s, nil, x.Values...)
	switch {
	case x.SQLState != "":
		s.Event.Outcome = span.OutcomeFailure
	case x.CommandTag != "":
		s.Event.Outcome = span.OutcomeSuccess
	}
	return s
}

// sqlName names an SQL span by its operation, as APM agents do.
func sqlName(op, stmt string) string {
	if op != "" {
		return op
	}
	if stmt != "" {
		return "SQL"
	}
	return "SQL (statement not captured)"
}

var quoted = regexp.MustCompile(`"[^"]*"|'[^']*'`)

// quotedValues hides the quoted parts of a server's error message, which
// quote the input that failed (22P02: invalid input syntax ... "abc").
func quotedValues(msg string) string {
	return quoted.ReplaceAllString(msg, `"?"`)
}

// mysqlParser adapts mysql.Parser.
type mysqlParser struct{ *mysql.Parser }

func newMySQLParser(c *conn) protoParser {
	return mysqlParser{mysql.NewParser(func(x mysql.Exchange) { c.emitSpan(c.t.mysqlSpan(c.t.newSpan(), c, &x)) }, c.joined)}
}

func (p mysqlParser) Close(uint64) { p.Parser.Close() }
func (p mysqlParser) Stopped() bool {
	switch p.State() {
	case mysql.StateNotMySQL, mysql.StateTLS, mysql.StateCompressed, mysql.StateReplication, mysql.StateEnded:
		return true
	}
	return false
}
func (p mysqlParser) Errors() map[string]uint64 { return p.Stats.Errors }
func (p mysqlParser) Name() string              { return "mysql" }

// detectMySQL needs a packet header and its first byte.
func detectMySQL(b []byte) (bool, bool) {
	if len(b) < 5 {
		return false, false
	}
	_, ok := mysql.Detect(b)
	return ok, true
}

// mysqlSpan is the span of one command: "SELECT" with the normalised
// statement, rows, and the error number with its SQL state.
func (t *tracker) mysqlSpan(s *span.Span, c *conn, x *mysql.Exchange) *span.Span {
	t.baseSpan(s, c, frame{reqDir: x.RequestDir, start: x.RequestStart, end: x.ResponseEnd, reqEnd: x.RequestEnd, incomplete: x.Incomplete, reason: x.Reason})
	op := x.Operation
	switch x.Command {
	case "COM_STMT_PREPARE", "COM_STMT_CLOSE", "COM_STMT_RESET", "COM_STMT_SEND_LONG_DATA":
		// They carry their statement's SQL but execute nothing: named by
		// the command, an operation's count is of executions.
		op = x.Command
	}
	if op == "" {
		op = x.Command // COM_PING, COM_QUIT...
	}
	s.Span.Name = sqlName(op, x.Statement)
	s.Span.Subtype = span.SubtypeMySQL
	s.Span.Type = dbType(s.Span.Kind)
	s.DB = &span.DB{Type: "sql", Instance: x.Database, User: x.User, Statement: x.Statement,
		Operation: op, RowsAffected: x.Rows, Error: quotedValues(x.Error)}
	switch {
	case x.ErrorCode != 0:
		s.DB.ErrorCode = strconv.Itoa(int(x.ErrorCode)) + "/" + x.SQLState
		s.Event.Outcome = span.OutcomeFailure
	case !x.Incomplete:
		s.Event.Outcome = span.OutcomeSuccess
	}
	return s
}
