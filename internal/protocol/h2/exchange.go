// Package h2 parses the two byte streams of one cleartext HTTP/2 (h2c)
// connection, as the eBPF agent sees them (captured heads of syscall
// buffers, with the sizes of what was not captured or lost), into one
// exchange per stream, with the gRPC service, method and status when the
// stream is a gRPC call.
//
// Header blocks are HPACK-compressed against a dynamic table that both
// ends build up over the whole connection, so a header block that is not
// fully captured makes every later one in that direction undecodable. The
// parser never guesses: from then on it still follows streams (ids, sizes,
// times) but emits them Incomplete, without header values.
package h2

import "github.com/vigil-dev/vigil/internal/reassembly"

// Exchange is one stream: a request and its response.
type Exchange struct {
	StreamID                        uint32
	Method, Path, Authority, Scheme string // request pseudo-headers
	Status                          int    // :status, 0 when none seen
	GRPC                            bool   // content-type application/grpc*
	GRPCService, GRPCMethod         string // from the path /pkg.Service/Method
	GRPCStatus                      int    // grpc-status (trailers, or headers of a trailers-only response); -1 when none
	GRPCMessage                     string // grpc-message, percent-decoded, cut to 256 bytes
	Traceparent, Tracestate         string
	RequestBytes, ResponseBytes     int64 // DATA payload bytes (padding excluded)
	// RequestDir is the direction requests flow: Egress means the traced
	// process is the client.
	RequestDir reassembly.Direction
	// Syscall times (monotonic ns): the start of the syscall carrying the
	// first frame of the request, the end of the one carrying its last
	// frame; likewise for the response.
	RequestStart, RequestEnd, ResponseStart, ResponseEnd uint64
	Incomplete                                           bool
	Reason                                               string
}

// Reasons an exchange is Incomplete.
const (
	ReasonJoined     = "joined mid-connection: HPACK state unknown"
	ReasonHPACKLost  = "HPACK state lost"
	ReasonReset      = "stream reset"
	ReasonClosed     = "connection closed"
	ReasonGoAway     = "GOAWAY: stream not processed"
	ReasonEvicted    = "too many open streams"
	ReasonNoRequest  = "request headers not seen"
	ReasonMalformed  = "malformed pseudo-header"
	ReasonNoResponse = "response head not seen"
	maxGRPCMessage   = 256
	maxTraceHeader   = 512
	maxOpenStreams   = 1024
	defaultTableSize = 4096
	maxTableSize     = 1 << 20 // bounds the memory of one decoder
	maxHeaderString  = 64 << 10
)

// State of a connection's parser.
type State uint8

// States.
const (
	Detecting State = iota // the connection's first bytes are not judged yet
	H2                     // parsing HTTP/2 frames
	NotH2                  // not HTTP/2: the connection is ignored
)

func (s State) String() string {
	return [...]string{"detecting", "h2", "not-h2"}[s]
}

// Stats count what the parser gave up on or could not use, by reason.
type Stats struct {
	Errors map[string]uint64
}

func (s *Stats) add(reason string) {
	if s.Errors == nil {
		s.Errors = map[string]uint64{}
	}
	s.Errors[reason]++
}
