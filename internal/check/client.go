package check

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/vigil-dev/vigil/internal/monitor"
)

const defaultMaxRedirects = 10

// clients hands out HTTP clients for one run. Each run has its own
// transports, so DNS, connect and TLS are measured on every run; steps of a
// run with the same TLS options share connections, as a browser would.
type clients struct {
	transports map[monitor.TLSClient]*http.Transport
}

func newClients() *clients {
	return &clients{transports: map[monitor.TLSClient]*http.Transport{}}
}

// get returns a client with the request's TLS and redirect options.
func (c *clients) get(spec monitor.Request) (*http.Client, error) {
	t, ok := c.transports[spec.TLS]
	if !ok {
		tlsConf, err := tlsClientConfig(spec.TLS)
		if err != nil {
			return nil, err
		}
		t = newTransport(tlsConf)
		c.transports[spec.TLS] = t
	}
	return &http.Client{Transport: t, CheckRedirect: redirectPolicy(spec)}, nil
}

// close drops the run's idle connections.
func (c *clients) close() {
	for _, t := range c.transports {
		t.CloseIdleConnections()
	}
}

// newTransport builds a transport with no proxy (a check measures the path
// to the target) and no timeouts of its own (the run's context bounds it).
func newTransport(tlsConf *tls.Config) *http.Transport {
	d := &net.Dialer{KeepAlive: 30 * time.Second}
	return &http.Transport{
		DialContext:         d.DialContext,
		TLSClientConfig:     tlsConf,
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     30 * time.Second,
	}
}

func tlsClientConfig(opts monitor.TLSClient) (*tls.Config, error) {
	conf := &tls.Config{
		ServerName:         opts.ServerName,
		InsecureSkipVerify: opts.InsecureSkipVerify, //nolint:gosec // asked for by the monitor definition
		MinVersion:         tls.VersionTLS12,
	}
	if opts.CAFile != "" {
		pool, err := loadCAFile(opts.CAFile)
		if err != nil {
			return nil, err
		}
		conf.RootCAs = pool
	}
	return conf, nil
}

// loadCAFile reads a PEM bundle of trusted roots.
func loadCAFile(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ca_file %s: no PEM certificates found", path)
	}
	return pool, nil
}

// errTooManyRedirects ends a request whose redirects exceed max_redirects.
var errTooManyRedirects = errors.New("too many redirects")

func redirectPolicy(spec monitor.Request) func(*http.Request, []*http.Request) error {
	follow := spec.FollowRedirects == nil || *spec.FollowRedirects
	limit := spec.MaxRedirects
	if limit <= 0 {
		limit = defaultMaxRedirects
	}
	return func(req *http.Request, via []*http.Request) error {
		if !follow {
			return http.ErrUseLastResponse
		}
		if len(via) > limit {
			return fmt.Errorf("%w: stopped after %d", errTooManyRedirects, limit)
		}
		refreshTraceparent(req)
		return nil
	}
}
