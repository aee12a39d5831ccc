package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/internal/ingest"
)

// Off disables an input whose address is set to it.
const Off = "off"

// Ingest configures the inputs besides the node agent: datagrams from
// in-process agents and OTLP/HTTP traces. `vigil ingest` and `vigil dev`
// run them.
type Ingest struct {
	// UDP is where datagrams are received; loopback only by default.
	UDP string `yaml:"udp"`
	// Listen serves OTLP/HTTP (POST /v1/traces), /metrics and /healthz.
	Listen string `yaml:"listen"`
	// Service names the service of datagram spans (default: the sender's
	// address); Node is service.node.name (default: the hostname).
	Service string `yaml:"service"`
	Node    string `yaml:"node"`
	// Routes name the external API and operation of datagram calls; the
	// first match in file order wins.
	Routes []ingest.Route `yaml:"routes"`
	// ReadBuffer sizes the datagram socket's receive buffer.
	ReadBuffer int `yaml:"read_buffer_bytes"`
	// Spans go to the store in batches of BatchSize or every BatchInterval,
	// through a spool of at most SpoolMaxBytes while the store is down.
	BatchSize     int           `yaml:"batch_size"`
	BatchInterval time.Duration `yaml:"batch_interval"`
	SpoolMaxBytes int64         `yaml:"spool_max_bytes"`
	// MaxBodyBytes bounds an OTLP request body, compressed or not.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
}

// DefaultIngest is the ingest configuration before files, env and flags.
func DefaultIngest() Ingest {
	return Ingest{
		UDP:           ingest.DefaultDatagramAddr,
		Listen:        "127.0.0.1:4318",
		ReadBuffer:    8 << 20,
		BatchSize:     1000,
		BatchInterval: 200 * time.Millisecond,
		SpoolMaxBytes: 256 << 20,
		MaxBodyBytes:  16 << 20,
	}
}

func ingestEnv(in *Ingest) map[string]func(string) error {
	return map[string]func(string) error{
		"VIGIL_INGEST_UDP":     func(v string) error { in.UDP = v; return nil },
		"VIGIL_INGEST_LISTEN":  func(v string) error { in.Listen = v; return nil },
		"VIGIL_INGEST_SERVICE": func(v string) error { in.Service = v; return nil },
		"VIGIL_INGEST_NODE":    func(v string) error { in.Node = v; return nil },
		"VIGIL_INGEST_READ_BUFFER_BYTES": func(v string) (err error) {
			in.ReadBuffer, err = strconv.Atoi(v)
			return err
		},
	}
}

// Validate reports every problem of the ingest section at once.
func (in Ingest) Validate() error {
	var errs []error
	for _, a := range []struct{ name, addr string }{{"ingest.udp (--udp)", in.UDP}, {"ingest.listen (--listen)", in.Listen}} {
		if a.addr != Off && !strings.Contains(a.addr, ":") {
			errs = append(errs, fmt.Errorf("%s %q must be host:port or %q", a.name, a.addr, Off))
		}
	}
	for i, r := range in.Routes {
		if err := r.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("ingest.routes[%d] (%s): %w", i, r.API, err))
		}
	}
	if in.ReadBuffer < 64<<10 {
		errs = append(errs, fmt.Errorf("ingest.read_buffer_bytes %d must be at least 65536", in.ReadBuffer))
	}
	if in.BatchSize < 1 || in.BatchInterval <= 0 {
		errs = append(errs, errors.New("ingest.batch_size must be at least 1 and ingest.batch_interval positive"))
	}
	if in.SpoolMaxBytes < 1<<20 {
		errs = append(errs, fmt.Errorf("ingest.spool_max_bytes %d must be at least 1 MiB", in.SpoolMaxBytes))
	}
	if in.MaxBodyBytes < 1<<10 {
		errs = append(errs, fmt.Errorf("ingest.max_body_bytes %d must be at least 1024", in.MaxBodyBytes))
	}
	return errors.Join(errs...)
}
