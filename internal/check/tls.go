package check

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
)

const (
	defaultTLSPort     = 443
	defaultMinValidFor = 168 * time.Hour
)

// tlsCheck handshakes, verifies the chain itself (so an invalid chain is
// still described) and reports the leaf certificate.
func (rn *run) tlsCheck(m monitor.Monitor) ([]result.Step, *result.Error) {
	if m.TLS == nil {
		return nil, configError("tls monitor has no tls section")
	}
	s := beginStep(1, "tls handshake")
	spec, err := rn.expandTLS(*m.TLS)
	if err != nil {
		s.failf(result.ErrorConfig, "%v", err)
		return []result.Step{s.end()}, nil
	}
	addr := net.JoinHostPort(spec.Host, strconv.Itoa(spec.Port))
	s.step.URL = resultURL("tls://" + addr)
	roots, err := rootsFor(spec)
	if err != nil {
		s.failf(result.ErrorConfig, "%v", err)
		return []result.Step{s.end()}, nil
	}

	state, timings, err := rn.handshake(spec)
	s.setTimings(withTotal(timings, s.start))
	if err != nil {
		s.fail(rn.ioError("tls handshake with "+addr, err))
		return []result.Step{s.end()}, nil
	}
	env := tlsEnv(state, timings, s.start)
	if !spec.SkipChainTest {
		err := verifyChain(state.PeerCertificates, verifyName(spec), roots)
		env.ChainValid = err == nil
		if err != nil {
			s.detail("chain_error", err.Error())
		}
	}
	s.detail("not_after", env.NotAfter.UTC().Format(time.RFC3339))
	s.detail("issuer", env.Issuer)
	s.detail("subject", env.Subject)
	s.detail("version", env.Version)
	rn.assertAll(s, env, tlsAsserts(m.Assert, spec))
	return []result.Step{s.end()}, nil
}

func (rn *run) expandTLS(spec monitor.TLSCheck) (monitor.TLSCheck, error) {
	var err error
	if spec.Host, err = rn.expand(spec.Host, nil); err != nil {
		return spec, fmt.Errorf("host: %w", err)
	}
	if spec.ServerName, err = rn.expand(spec.ServerName, nil); err != nil {
		return spec, fmt.Errorf("server_name: %w", err)
	}
	if spec.Port == 0 {
		spec.Port = defaultTLSPort
	}
	return spec, nil
}

func rootsFor(spec monitor.TLSCheck) (*x509.CertPool, error) {
	if spec.CAFile == "" || spec.SkipChainTest {
		return nil, nil // nil: the system roots
	}
	return loadCAFile(spec.CAFile)
}

// handshake connects and completes a TLS handshake without verifying;
// verifyChain judges the chain afterwards.
func (rn *run) handshake(spec monitor.TLSCheck) (tls.ConnectionState, monitor.Timings, error) {
	conn, t, err := rn.dialTimed(spec.Host, spec.Port)
	if err != nil {
		return tls.ConnectionState{}, t, err
	}
	defer conn.Close()
	sni := spec.ServerName
	if sni == "" && net.ParseIP(spec.Host) == nil {
		sni = spec.Host
	}
	tc := tls.Client(conn, &tls.Config{
		ServerName:         sni,
		InsecureSkipVerify: true, //nolint:gosec // verified by verifyChain, to report why it fails
		MinVersion:         tls.VersionTLS10,
	})
	start := time.Now()
	err = tc.HandshakeContext(rn.ctx)
	t.TLS = time.Since(start)
	if err != nil {
		return tls.ConnectionState{}, t, err
	}
	state := tc.ConnectionState()
	if len(state.PeerCertificates) == 0 {
		return state, t, fmt.Errorf("server sent no certificate")
	}
	return state, t, nil
}

func verifyName(spec monitor.TLSCheck) string {
	if spec.ServerName != "" {
		return spec.ServerName
	}
	return spec.Host
}

// verifyChain checks the chain against roots (nil: system roots) and the
// name.
func verifyChain(certs []*x509.Certificate, name string, roots *x509.CertPool) error {
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{DNSName: name, Roots: roots, Intermediates: inter})
	return err
}

func tlsEnv(state tls.ConnectionState, t monitor.Timings, start time.Time) monitor.TLSEnv {
	leaf := state.PeerCertificates[0]
	return monitor.TLSEnv{
		ExpiresIn: time.Until(leaf.NotAfter),
		NotAfter:  leaf.NotAfter,
		Subject:   leaf.Subject.String(),
		Issuer:    leaf.Issuer.String(),
		DNSNames:  leaf.DNSNames,
		Version:   tls.VersionName(state.Version),
		Timings:   withTotal(t, start),
	}
}

// tlsAsserts are the monitor's, or a valid chain (unless skipped) and
// enough validity left.
func tlsAsserts(asserts []string, spec monitor.TLSCheck) []string {
	if len(asserts) > 0 {
		return asserts
	}
	minValid := time.Duration(spec.MinValidFor)
	if minValid <= 0 {
		minValid = defaultMinValidFor
	}
	expiry := fmt.Sprintf("expires_in > duration(%q)", minValid.String())
	if spec.SkipChainTest {
		return []string{expiry}
	}
	return []string{"chain_valid", expiry}
}
