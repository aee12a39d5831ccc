package monitor

import "time"

// The environments below are what assertions (and extractions) see. The
// validator compiles every expression against them, so a typo such as
// `stauts == 200` is reported with file:line:col before anything runs, and
// the checker fills them at run time.

// HTTPEnv is the environment of an http step's assert and extract.
type HTTPEnv struct {
	Status  int               `expr:"status"`
	Headers map[string]string `expr:"headers"` // lower-case names, values joined by ", "
	Body    string            `expr:"body"`    // up to the body limit
	JSON    any               `expr:"json"`    // the body decoded as JSON, nil when it is not JSON
	Size    int64             `expr:"size"`    // body size in bytes
	URL     string            `expr:"url"`     // final URL after redirects
	Timings Timings           `expr:"timings"`
	Vars    map[string]string `expr:"vars"` // variables extracted by earlier steps
}

// Timings are the phases of one request or connection.
type Timings struct {
	DNS       time.Duration `expr:"dns"`
	Connect   time.Duration `expr:"connect"`
	TLS       time.Duration `expr:"tls"`
	FirstByte time.Duration `expr:"first_byte"`
	Total     time.Duration `expr:"total"`
}

// TCPEnv is the environment of a tcp monitor's assert.
type TCPEnv struct {
	Connected bool    `expr:"connected"`
	Reply     string  `expr:"reply"`
	Timings   Timings `expr:"timings"`
}

// DNSEnv is the environment of a dns monitor's assert.
type DNSEnv struct {
	RCode   string   `expr:"rcode"`   // NOERROR, NXDOMAIN, SERVFAIL ...
	Answers []string `expr:"answers"` // textual record values
	Count   int      `expr:"count"`
	Timings Timings  `expr:"timings"`
}

// TLSEnv is the environment of a tls monitor's assert.
type TLSEnv struct {
	ExpiresIn  time.Duration `expr:"expires_in"`
	NotAfter   time.Time     `expr:"not_after"`
	Subject    string        `expr:"subject"`
	Issuer     string        `expr:"issuer"`
	DNSNames   []string      `expr:"dns_names"`
	ChainValid bool          `expr:"chain_valid"`
	Version    string        `expr:"version"` // "TLS 1.3"
	Timings    Timings       `expr:"timings"`
}
