// Package redis parses the two byte streams of one Redis connection (RESP2
// and RESP3), as an eBPF agent sees them (captured heads of syscall
// buffers, with the sizes of what was not captured or lost), into
// command/reply exchanges.
//
// Replies carry no request id: they are matched to commands by order only.
// So the parser never guesses: out-of-band frames (pub/sub messages, RESP3
// pushes, MONITOR output) are never matched, bulk payloads are skipped by
// count, and once framing is lost in either direction every command still
// waiting is emitted Incomplete and matching stays off until a quiet point
// (see Parser).
package redis

import "github.com/vigil-dev/vigil/internal/reassembly"

// MaxText caps Key and Error.
const MaxText = 256

// Exchange is one command and its reply.
type Exchange struct {
	// Command is upper case; container commands (CLIENT, CONFIG, ...) keep
	// their subcommand: "CLIENT SETNAME". "UNKNOWN" when the name is not a
	// printable token.
	Command string
	// Key is the first key argument of commands known to take one, cut to
	// MaxText bytes; never any other argument (values may be sensitive).
	Key  string
	Args int // arguments after the command name
	// Error is an error reply's first line, cut to MaxText bytes.
	Error string
	// ReplyType: simple, error, integer, bulk, null, array, map, set,
	// double, boolean, verbatim, bignum, push (RESP3 subscribe
	// confirmations), queued (inside MULTI), none (CLIENT REPLY OFF/SKIP);
	// "" when no reply was seen.
	ReplyType string
	// Pipelined: sent while earlier commands awaited their replies.
	Pipelined bool
	// Transaction: "MULTI", "EXEC", "DISCARD" for those commands, "queued"
	// for commands queued inside MULTI (their reply is +QUEUED; the real
	// results are inside EXEC's array, which is not split).
	Transaction string
	// RequestDir is the direction commands flow: Egress means the traced
	// process is the client.
	RequestDir reassembly.Direction
	// Syscall times (monotonic ns): the start of the first syscall carrying
	// the command, the end of its last; likewise for the reply (for
	// SUBSCRIBE: from the first confirmation to the last).
	RequestStart, RequestEnd, ResponseStart, ResponseEnd uint64
	RequestBytes, ResponseBytes                          int64
	Incomplete                                           bool
	Reason                                               string
}

// State of a connection's parser.
type State uint8

// States.
const (
	Detecting State = iota // nothing judged yet
	Redis                  // parsing
	NotRedis               // the bytes are not RESP: ignore the connection
)

func (s State) String() string {
	return [...]string{"detecting", "redis", "not-redis"}[s]
}

// Stats count what the parser gave up on, by reason, and the out-of-band
// frames it saw.
type Stats struct {
	Dropped map[string]uint64
	Pushes  uint64 // pub/sub messages and RESP3 pushes (never replies)
}

func (s *Stats) add(reason string) {
	if s.Dropped == nil {
		s.Dropped = map[string]uint64{}
	}
	s.Dropped[reason]++
}
