// Package dnswire matches DNS queries and responses, as an eBPF agent sees
// them on a socket, into exchanges: over UDP one datagram per syscall, over
// TCP a reassembled stream of 2-byte length-prefixed messages.
//
// Only the header and the question are decoded: they are in the first
// bytes of a message (a name is at most 255 bytes), so a capture cut after
// 1 KiB still yields the name, type, response code and the answer count
// (from the header's ANCOUNT). The records after the question are walked
// as far as they were captured, only to reject messages that are not DNS.
//
// A response is matched to a query by direction, ID and question (name,
// type and class; names compared case-insensitively, since resolvers
// randomise the case of queries and servers echo it). Nothing is guessed:
// a message that does not parse is counted and dropped, a response with no
// query in flight (capture joined mid-way, duplicate, late) is counted and
// dropped, a query without a response ends Incomplete.
package dnswire

import (
	"strconv"

	"github.com/vigil-dev/vigil/internal/reassembly"
)

// Exchange is one query and its response.
type Exchange struct {
	ID        uint16
	Name      string // query name, lower case, presentation form without the trailing dot ("." for the root); cut to 255 bytes
	Type      string // "A", "AAAA", ..., "TYPE%d" when unnamed
	RCode     string // "NOERROR", "NXDOMAIN", ...; "" when no response was seen
	Answers   int    // the response's ANCOUNT
	Truncated bool   // the response's TC bit
	Transport string // "udp" or "tcp"
	// RequestDir is the direction the query flowed: Egress means the
	// traced process is the client (a resolver stub), Ingress the server.
	RequestDir reassembly.Direction
	// Syscall times, monotonic ns: entry of the first and exit of the
	// last syscall that carried the query, likewise for the response.
	RequestStart, RequestEnd   uint64
	ResponseStart, ResponseEnd uint64
	// Message sizes on the wire (TCP: including the 2-byte length prefix;
	// a retransmitted query adds up).
	RequestBytes, ResponseBytes int64
	Incomplete                  bool
	Reason                      string
}

// Stats count what was dropped, by reason. Exchanges counts emitted ones.
type Stats struct {
	Exchanges uint64
	Errors    map[string]uint64
}

func (s *Stats) add(reason string) {
	if s.Errors == nil {
		s.Errors = map[string]uint64{}
	}
	s.Errors[reason]++
}

// Reasons for dropping a message or ending an exchange incomplete.
const (
	ReasonNoResponse        = "no response"
	ReasonClosed            = "connection closed before the response"
	ReasonTooManyInFlight   = "too many queries in flight"
	ReasonOrphanResponse    = "response without query"
	ReasonRetransmit        = "retransmitted query"
	ReasonFramingLost       = "framing lost"
	ReasonNotDNS            = "not dns"
	ReasonClosedMidMessage  = "connection closed mid-message"
	ReasonHeadNotCaptured   = "message head not captured"
	ReasonQuestionNotCaught = "question not captured"
)

var typeNames = map[uint16]string{
	1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 13: "HINFO", 15: "MX",
	16: "TXT", 17: "RP", 18: "AFSDB", 28: "AAAA", 29: "LOC", 33: "SRV",
	35: "NAPTR", 37: "CERT", 39: "DNAME", 41: "OPT", 43: "DS", 44: "SSHFP",
	46: "RRSIG", 47: "NSEC", 48: "DNSKEY", 50: "NSEC3", 51: "NSEC3PARAM",
	52: "TLSA", 53: "SMIMEA", 59: "CDS", 60: "CDNSKEY", 61: "OPENPGPKEY",
	62: "CSYNC", 63: "ZONEMD", 64: "SVCB", 65: "HTTPS", 99: "SPF",
	108: "EUI48", 109: "EUI64", 249: "TKEY", 250: "TSIG", 251: "IXFR",
	252: "AXFR", 255: "ANY", 256: "URI", 257: "CAA",
}

// TypeName names a query type as in zone files (RFC 3597 form when unnamed).
func TypeName(t uint16) string {
	if s, ok := typeNames[t]; ok {
		return s
	}
	return "TYPE" + strconv.Itoa(int(t))
}

var rcodeNames = [...]string{
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI",
}

// RCodeName names the header's 4-bit response code. Extended codes (in
// the OPT record, which may not be captured) are not combined in.
func RCodeName(rc uint8) string {
	if int(rc) < len(rcodeNames) {
		return rcodeNames[rc]
	}
	return "RCODE" + strconv.Itoa(int(rc))
}
