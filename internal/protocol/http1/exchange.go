package http1

import (
	"strconv"

	"github.com/vigil-dev/vigil/internal/stream"
)

// Exchange is one request and its response on a connection.
type Exchange struct {
	Method  string
	Target  string // request target as sent
	Host    string // Host header
	Version string // "1.0" or "1.1", from the request line
	Status  int    // final status; 0 when no final response was seen

	// Sizes on the wire: Bytes is the header block plus the body, BodyBytes
	// the body alone, chunk framing and trailers included. Interim (1xx)
	// responses are not counted.
	RequestBytes      int64
	ResponseBytes     int64
	RequestBodyBytes  int64
	ResponseBodyBytes int64

	Traceparent string
	Tracestate  string

	// RequestDir is the direction the request travelled: Ingress when the
	// traced process is the server, Egress when it is the client.
	RequestDir stream.Direction

	// CLOCK_MONOTONIC ns: Start of the first syscall and End of the last
	// syscall that carried bytes of the message. Zero when not seen.
	RequestStart, RequestEnd   uint64
	ResponseStart, ResponseEnd uint64

	// Incomplete is set when part of the exchange was not seen; Reason says
	// why (one of the Reason constants). Fields that were not seen are left
	// zero, never guessed; sizes count what was seen.
	Incomplete bool
	Reason     string
}

// Server reports whether the traced process answered the request.
func (e *Exchange) Server() bool { return e.RequestDir == stream.Ingress }

// Reasons for Incomplete.
const (
	ReasonLost           = "lost bytes"
	ReasonNotCaptured    = "headers not captured"
	ReasonChunkFraming   = "chunk framing not captured"
	ReasonJoined         = "joined mid-stream"
	ReasonNoResponse     = "closed before response"
	ReasonClosed         = "closed mid-message"
	ReasonParseError     = "parse error"
	ReasonHeaderTooLarge = "header too large"
	ReasonUpgraded       = "upgraded before response"
	ReasonNotHTTP        = "not HTTP"
	ReasonUnmatched      = "response not matched"
)

// State is what the parser knows about the connection.
type State uint8

// States.
const (
	Detecting State = iota // no message start seen yet
	HTTP                   // requests flow one way, responses the other
	NotHTTP                // the bytes are not HTTP/1.x; the parser stopped
	Upgraded               // the connection switched protocols; the parser stopped
)

func (s State) String() string {
	switch s {
	case Detecting:
		return "detecting"
	case HTTP:
		return "http"
	case NotHTTP:
		return "not-http"
	case Upgraded:
		return "upgraded"
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// ErrorKind classifies parse errors.
type ErrorKind uint8

// Parse errors. Bytes skipped while looking for a message start are not
// errors: they are counted in Stats.SkippedBytes.
const (
	ErrStartLine        ErrorKind = iota // malformed request or status line
	ErrHeader                            // malformed header line
	ErrHeaderTooLarge                    // header block over Options.MaxHeaderBytes
	ErrContentLength                     // invalid or conflicting Content-Length
	ErrTransferEncoding                  // request Transfer-Encoding without chunked last
	ErrChunk                             // malformed chunk framing
	NumErrorKinds
)

func (k ErrorKind) String() string {
	switch k {
	case ErrStartLine:
		return "start-line"
	case ErrHeader:
		return "header"
	case ErrHeaderTooLarge:
		return "header-too-large"
	case ErrContentLength:
		return "content-length"
	case ErrTransferEncoding:
		return "transfer-encoding"
	case ErrChunk:
		return "chunk"
	}
	return "error(" + strconv.Itoa(int(k)) + ")"
}

// Stats counts what the parser did.
type Stats struct {
	Exchanges    uint64 // emitted, complete or not
	Incomplete   uint64 // emitted with Incomplete set
	Orphans      uint64 // responses dropped because their request was never seen
	Interim      uint64 // 1xx responses skipped
	SkippedBytes uint64 // bytes skipped while looking for a message start
	Errors       [NumErrorKinds]uint64
	NotHTTP      string // why the parser stopped when State is NotHTTP
}

// Why the parser decided the connection is not HTTP/1.x.
const (
	NotHTTPFirstBytes = "first bytes are not HTTP/1.x"
	NotHTTPNoMessage  = "no message start found"
	NotHTTPTLS        = "TLS"
	NotHTTPHTTP2      = "HTTP/2"
	NotHTTPPending    = "too many unanswered requests"
)
