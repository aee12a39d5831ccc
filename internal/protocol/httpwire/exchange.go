// Package httpwire parses the two byte streams of one HTTP/1.x connection,
// as an eBPF agent sees them (captured heads of syscall buffers, with the
// sizes of what was not captured or lost), into request/response exchanges.
//
// It never needs body bytes: bodies are skipped by count. It never emits a
// guessed value: when framing is lost it resynchronises at the next
// message start on a syscall boundary and marks what it could not finish
// as Incomplete.
package httpwire

import "github.com/vigil-dev/vigil/internal/reassembly"

// Exchange is one request and its response.
type Exchange struct {
	Method, Target, Host, Version string
	Status                        int // 0 when no response was seen
	RequestBytes, ResponseBytes   int64
	RequestBodyBytes              int64
	ResponseBodyBytes             int64
	Traceparent, Tracestate       string
	// RequestDir is the direction requests flow: Ingress means the traced
	// process is the server.
	RequestDir reassembly.Direction
	// Syscall times (monotonic ns): the first syscall of the request
	// (entry and exit), its last (exit); likewise for the response.
	RequestStart, RequestFirstEnd, RequestEnd    uint64
	ResponseStart, ResponseFirstEnd, ResponseEnd uint64
	Upgraded                                     bool // 101 or CONNECT 2xx: the rest is not HTTP
	Incomplete                                   bool
	Reason                                       string
}

// State of a connection's parser.
type State uint8

// States.
const (
	StateDetecting State = iota // no message start seen yet
	StateHTTP                   // parsing
	StateNotHTTP                // the bytes are not HTTP/1.x: ignore the connection
	StateUpgraded               // switched protocols: ignore the rest
)

func (s State) String() string {
	return [...]string{"detecting", "http", "not-http", "upgraded"}[s]
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
