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
	return redisParser{redis.NewParser(func(x redis.Exchange) { c.emitSpan(c.t.redisSpan(c.t.newSpan(), c, &x)) }, c.joined)}
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
func (t *tracker) redisSpan(s *span.Span, c *conn, x *redis.Exchange) *span.Span {
	parts := new(dbParts)
	t.baseSpan(s, c, frame{reqDir: x.RequestDir, start: x.RequestStart, end: x.ResponseEnd, reqEnd: x.RequestEnd,
		incomplete: x.Incomplete, reason: x.Reason, thread: &parts.thread})
	s.Span.Name = x.Command
	s.Span.Subtype = span.SubtypeRedis
	s.Span.Type = dbType(s.Span.Kind)
	parts.db = span.DB{Type: "redis", Statement: x.Command, Operation: x.Command, RowsAffected: -1}
	if x.Key != "" {
		t.text.add(&parts.db.Statement, x.Command, " ", x.Key)
	}
	s.DB = &parts.db
	t.setTokens(s, parts.tokens[:], x.Key)
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

// dbParts is what a Redis span points to, allocated at once.
type dbParts struct {
	db     span.DB
	thread span.Thread
	tokens [2]string // a key rarely holds more ids
}

// dbType is span.type of a database call: "db" from the client's side,
// "request" for the server's own span.
func dbType(kind string) string {
	if kind == span.KindClient {
		return "db"
	}
	return "request"
}
