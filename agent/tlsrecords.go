package agent

import "github.com/vigil-dev/vigil/internal/reassembly"

// TLS record content types (RFC 8446 5.1): change_cipher_spec, alert,
// handshake, application_data.
const (
	tlsFirstType = 20
	tlsLastType  = 23
	tlsMaxRecord = 16384 + 2048 // TLSCiphertext.length at most 2^14 + 2048
)

// detectTLS recognises a TLS record header: content type, version 3.x,
// a plausible length. The stream is then ignored (tlsRecords) unless a TLS
// library's uprobes deliver its plaintext.
func detectTLS(b []byte) (ok, sure bool) {
	if len(b) == 0 {
		return false, false
	}
	if b[0] < tlsFirstType || b[0] > tlsLastType {
		return false, true
	}
	if len(b) >= 2 && b[1] != 3 {
		return false, true
	}
	if len(b) >= 3 && b[2] > 4 {
		return false, true
	}
	if len(b) < 5 {
		return true, false
	}
	n := int(b[3])<<8 | int(b[4])
	return n > 0 && n <= tlsMaxRecord, true
}

// tlsRecords swallows an encrypted stream: it is stopped from the start,
// so no byte of it is parsed.
type tlsRecords struct{}

func newTLSRecords(*conn) protoParser { return tlsRecords{} }

func (tlsRecords) Feed(reassembly.Direction, reassembly.Piece) {}
func (tlsRecords) Close(uint64)                                {}
func (tlsRecords) Stopped() bool                               { return true }
func (tlsRecords) Errors() map[string]uint64                   { return nil }
func (tlsRecords) Name() string                                { return "tls" }
