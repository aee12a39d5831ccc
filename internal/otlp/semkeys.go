package otlp

import (
	"math"
	"math/bits"
	"strconv"
)

// semKey names an attribute key that semantic conventions give meaning
// to. Converted attributes are read through a semAttrs indexed by these,
// so the fast decoder can pick them while it builds the attribute map
// instead of looking each one up afterwards.
type semKey uint8

const (
	kHTTPRequestMethod semKey = iota
	kHTTPMethod
	kHTTPRequestMethodOriginal
	kURLFull
	kHTTPURL
	kNetworkProtocolVersion
	kHTTPFlavor
	kURLScheme
	kHTTPScheme
	kHTTPResponseStatusCode
	kHTTPStatusCode
	kHTTPRequestBodySize
	kHTTPRequestContentLength
	kHTTPRequestSize
	kHTTPResponseBodySize
	kHTTPResponseContentLength
	kHTTPResponseSize
	kURLPath
	kURLQuery
	kHTTPTarget
	kHTTPHost
	kServerAddress
	kServerPort
	kClientAddress
	kClientPort
	kNetPeerName
	kNetPeerPort
	kNetPeerIP
	kNetHostName
	kNetHostPort
	kNetHostIP
	kNetworkPeerAddress
	kNetworkPeerPort
	kNetSockPeerAddr
	kNetSockPeerPort
	kNetworkLocalAddress
	kNetworkLocalPort
	kNetSockHostAddr
	kNetSockHostPort
	kDBSystemName
	kDBSystem
	kMessagingSystem
	kRPCSystem
	kPeerService
	// resource attributes
	kServiceName
	kHostName
	kProcessPID
	kProcessExecutablePath
	kProcessExecutableName
	kContainerID
	kK8sPodUID
	kK8sContainerName
	numSemKeys
)

var semKeyNames = [numSemKeys]string{
	kHTTPRequestMethod:         "http.request.method",
	kHTTPMethod:                "http.method",
	kHTTPRequestMethodOriginal: "http.request.method_original",
	kURLFull:                   "url.full",
	kHTTPURL:                   "http.url",
	kNetworkProtocolVersion:    "network.protocol.version",
	kHTTPFlavor:                "http.flavor",
	kURLScheme:                 "url.scheme",
	kHTTPScheme:                "http.scheme",
	kHTTPResponseStatusCode:    "http.response.status_code",
	kHTTPStatusCode:            "http.status_code",
	kHTTPRequestBodySize:       "http.request.body.size",
	kHTTPRequestContentLength:  "http.request_content_length",
	kHTTPRequestSize:           "http.request.size",
	kHTTPResponseBodySize:      "http.response.body.size",
	kHTTPResponseContentLength: "http.response_content_length",
	kHTTPResponseSize:          "http.response.size",
	kURLPath:                   "url.path",
	kURLQuery:                  "url.query",
	kHTTPTarget:                "http.target",
	kHTTPHost:                  "http.host",
	kServerAddress:             "server.address",
	kServerPort:                "server.port",
	kClientAddress:             "client.address",
	kClientPort:                "client.port",
	kNetPeerName:               "net.peer.name",
	kNetPeerPort:               "net.peer.port",
	kNetPeerIP:                 "net.peer.ip",
	kNetHostName:               "net.host.name",
	kNetHostPort:               "net.host.port",
	kNetHostIP:                 "net.host.ip",
	kNetworkPeerAddress:        "network.peer.address",
	kNetworkPeerPort:           "network.peer.port",
	kNetSockPeerAddr:           "net.sock.peer.addr",
	kNetSockPeerPort:           "net.sock.peer.port",
	kNetworkLocalAddress:       "network.local.address",
	kNetworkLocalPort:          "network.local.port",
	kNetSockHostAddr:           "net.sock.host.addr",
	kNetSockHostPort:           "net.sock.host.port",
	kDBSystemName:              "db.system.name",
	kDBSystem:                  "db.system",
	kMessagingSystem:           "messaging.system",
	kRPCSystem:                 "rpc.system",
	kPeerService:               "peer.service",
	kServiceName:               "service.name",
	kHostName:                  "host.name",
	kProcessPID:                "process.pid",
	kProcessExecutablePath:     "process.executable.path",
	kProcessExecutableName:     "process.executable.name",
	kContainerID:               "container.id",
	kK8sPodUID:                 "k8s.pod.uid",
	kK8sContainerName:          "k8s.container.name",
}

// semKeyOf is the semKey named k. It runs for every attribute key, so it
// looks k up in a table without collisions (see semKeyTable) rather than
// hashing all of k.
func semKeyOf(k string) (semKey, bool) {
	if len(k) < minSemKeyLen || len(k) > maxSemKeyLen {
		return 0, false
	}
	i := semKeyTable[semKeySlot(k, semKeyMul)]
	if i == 0 || semKeyNames[i-1] != k {
		return 0, false
	}
	return semKey(i - 1), true
}

const (
	minSemKeyLen  = 8 // url.full
	maxSemKeyLen  = 28
	semKeyBits    = 9
	semKeySeedMax = 1 << 16
)

// semKeySlot hashes k's length and a few of its bytes; k has at least
// minSemKeyLen bytes.
func semKeySlot(k string, mul uint64) uint64 {
	n := len(k)
	x := uint64(n) | uint64(k[0])<<8 | uint64(k[4])<<16 | uint64(k[n/2])<<24 |
		uint64(k[n/2+1])<<32 | uint64(k[n-2])<<40 | uint64(k[n-1])<<48
	return (x * mul) >> (64 - semKeyBits)
}

// semKeyTable maps slots to semKey+1; semKeyMul is the first odd
// multiplier that sends every semantic key to its own slot.
var semKeyMul, semKeyTable = func() (uint64, [1 << semKeyBits]uint8) {
	for seed := uint64(1); seed < semKeySeedMax; seed++ {
		mul := seed*0x9E3779B97F4A7C15 | 1
		var t [1 << semKeyBits]uint8
		ok := true
		for i, name := range semKeyNames {
			if len(name) < minSemKeyLen || len(name) > maxSemKeyLen {
				panic("otlp: semantic key " + name + " out of bounds")
			}
			slot := semKeySlot(name, mul)
			if t[slot] != 0 {
				ok = false
				break
			}
			t[slot] = uint8(i + 1)
		}
		if ok {
			return mul, t
		}
	}
	panic("otlp: no table for the semantic keys")
}()

// semAttrs holds the values of the semantic keys among converted
// attributes, as the attribute map holds them (nil when absent).
type semAttrs struct {
	v     [numSemKeys]any
	set   uint64    // bit i: v[i] was set, for reset
	arena *strArena // for the strings made of values (nil: allocate)
	// bit i: v[i] was put or reset, or read by str or int, since the
	// bits were last cleared (see endsMemo)
	changed, read uint64
}

// a semAttrs.set bit for each key
var _ [64 - numSemKeys]struct{}

// put records that the converted attributes map k to v.
func (m *semAttrs) put(k string, v any) {
	if i, ok := semKeyOf(k); ok {
		m.v[i] = v
		m.set |= 1 << i
		m.changed |= 1 << i
	}
}

// reset empties m, touching only the slots set.
func (m *semAttrs) reset() {
	m.changed |= m.set
	for ; m.set != 0; m.set &= m.set - 1 {
		m.v[bits.TrailingZeros64(m.set)] = nil
	}
}

// fromMap fills m from converted attributes (the reference path).
func (m *semAttrs) fromMap(attrs map[string]any) {
	*m = semAttrs{}
	for k, v := range attrs {
		m.put(k, v)
	}
}

// str is the first non-empty string value among keys.
func (m *semAttrs) str(keys ...semKey) string {
	for _, k := range keys {
		m.read |= 1 << k
		if s, ok := m.v[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// int is the first integer among keys; senders use ints, whole floats or
// decimal strings.
func (m *semAttrs) int(keys ...semKey) (int64, bool) {
	for _, k := range keys {
		m.read |= 1 << k
		switch v := m.v[k].(type) {
		case int64:
			return v, true
		case float64:
			if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
				return int64(v), true
			}
		case string:
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				return n, true
			}
		}
	}
	return 0, false
}
