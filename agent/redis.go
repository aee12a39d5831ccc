package agent

import (
	"bytes"
	"strings"

	"github.com/vigil-dev/vigil/internal/protocol/redis"
	"github.com/vigil-dev/vigil/internal/span"
)

// redisParser adapts redis.Parser.
type redisParser struct{ *redis.Parser }

func newRedisParser(c *conn) protoParser {
	return redisParser{redis.NewParser(func(x redis.Exchange) { c.emitSpan(c.t.redisSpan(c, &x)) }, c.joined)}
}

func (r redisParser) Close(uint64)              { r.Parser.Close() }
func (r redisParser) Stopped() bool             { return r.State() == redis.NotRedis }
func (r redisParser) Errors() map[string]uint64 { return r.Stats.Dropped }
func (r redisParser) Name() string              { return "redis" }

// detectRedis needs a whole first line: RESP frames and inline commands end
// theirs with CRLF.
func detectRedis(b []byte) (bool, bool) {
	if bytes.IndexByte(b, '\n') < 0 {
		return false, false
	}
	_, ok := redis.Detect(b)
	return ok, true
}

// redisSpan is the span of one command: "GET", with db.statement "GET key"
// (no value is ever kept).
func (t *tracker) redisSpan(c *conn, x *redis.Exchange) span.Span {
	s := t.baseSpan(c, x.RequestDir, x.RequestStart, x.ResponseEnd, x.RequestEnd, x.Incomplete, x.Reason)
	s.Span.Name = x.Command
	s.Span.Subtype = span.SubtypeRedis
	s.Span.Type = dbType(s.Span.Kind)
	stmt := x.Command
	if x.Key != "" {
		stmt += " " + x.Key
	}
	s.DB = &span.DB{Type: "redis", Statement: stmt, Operation: x.Command, RowsAffected: -1}
	s.Vigil.Tokens = t.tok.tokens(x.Key)
	switch {
	case x.Error != "":
		s.DB.Error = x.Error
		s.DB.ErrorCode, _, _ = strings.Cut(x.Error, " ") // ERR, WRONGTYPE, NOSCRIPT...
		s.Event.Outcome = span.OutcomeFailure
	case x.ReplyType != "":
		s.Event.Outcome = span.OutcomeSuccess
	}
	return s
}

// dbType is span.type of a database call: "db" from the client's side,
// "request" for the server's own span.
func dbType(kind string) string {
	if kind == span.KindClient {
		return "db"
	}
	return "request"
}
