// Package postgres parses the two byte streams of one PostgreSQL
// frontend/backend (protocol v3) connection, as an eBPF agent sees them
// (captured heads of syscall buffers, with the sizes of what was not
// captured or lost), into one exchange per query.
//
// Messages are framed by their length, so uncaptured bytes are skipped by
// count. It never emits a guessed value: after a loss it resynchronises
// only at a verified message boundary and only once it can tell which
// request the next response answers; until then queries come out as
// Incomplete. SQL text is normalised so that no literal leaves the parser.
package postgres

import "github.com/vigil-dev/vigil/internal/reassembly"

// Exchange is one query (a simple-protocol statement or an extended-protocol
// Execute) and its outcome.
type Exchange struct {
	Operation     string // first word of the command tag, else the first SQL keyword
	Statement     string // normalised SQL (see Normalize)
	StatementName string // prepared statement name, "" for unnamed
	Prepared      bool   // extended protocol
	Rows          int64  // from the command tag; -1 when unknown
	CommandTag    string
	SQLState      string // ErrorResponse field C
	Error         string // ErrorResponse field M, cut to 256 bytes
	Database      string // from the StartupMessage when seen
	User          string
	// Values are the request's identifying values: the literals of a
	// simple query, the parameters of an extended one (binary integers as
	// decimal). They exist for correlation, which hashes them at once; they
	// must never be stored or logged.
	Values []string
	// RequestDir is the direction requests flow: Egress means the traced
	// process is the client.
	RequestDir reassembly.Direction
	// Syscall times (monotonic ns): the first and last syscall of the
	// request messages, and of the response messages.
	RequestStart, RequestEnd   uint64
	ResponseStart, ResponseEnd uint64
	RequestBytes               int64
	ResponseBytes              int64
	Incomplete                 bool
	Reason                     string
}

// State of a connection's parser.
type State uint8

// States.
const (
	StateDetecting   State = iota // no message recognised yet
	StatePostgres                 // parsing
	StateNotPostgres              // the bytes are not PostgreSQL: ignore the connection
	StateEncrypted                // TLS or GSS encryption was accepted: the rest is opaque
)

func (s State) String() string {
	return [...]string{"detecting", "postgres", "not-postgres", "encrypted"}[s]
}

// Stats count what the parser gave up on, by reason.
type Stats struct {
	Errors map[string]uint64
}

func (s *Stats) add(reason string) {
	if s.Errors == nil {
		s.Errors = map[string]uint64{}
	}
	s.Errors[reason]++
}

// Limits.
const (
	maxStatement = 2048     // bytes of a normalised statement
	maxError     = 256      // bytes of an error message
	maxCapture   = 16 << 10 // bytes of SQL text kept from one message
	maxMsgLen    = 1 << 30  // the server refuses longer messages
	maxStartup   = 10000    // the server's limit on a startup packet
	maxPrepared  = 1024     // statements remembered per connection
)
