package check

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
)

// newTLSServer is httptest's TLS server without its handshake-error log
// lines (the tests make handshakes fail on purpose).
func newTLSServer(t *testing.T, h http.Handler, cert *tls.Certificate) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.EnableHTTP2 = true
	if cert != nil {
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{*cert}}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// shortLivedCert is a self-signed certificate for 127.0.0.1 valid for d.
func shortLivedCert(t *testing.T, d time.Duration) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "short.test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(d),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"short.test"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func writePEM(t *testing.T, der []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func tlsMonitor(srv *httptest.Server, spec monitor.TLSCheck, asserts ...string) monitor.Monitor {
	addr := srv.Listener.Addr().(*net.TCPAddr)
	spec.Host, spec.Port = addr.IP.String(), addr.Port
	return monitor.Monitor{
		ID: "tls1", Type: monitor.TypeTLS, Timeout: monitor.Duration(5 * time.Second),
		TLS: &spec, Assert: asserts,
	}
}

func TestTLS(t *testing.T) {
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	longSrv := newTLSServer(t, ok, nil) // httptest's certificate, valid for decades
	longCA := writePEM(t, longSrv.Certificate().Raw)
	short := shortLivedCert(t, 24*time.Hour)
	shortSrv := newTLSServer(t, ok, &short)
	shortCA := writePEM(t, short.Certificate[0])

	const hundredYears = monitor.Duration(100 * 365 * 24 * time.Hour)
	tests := []struct {
		name   string
		m      monitor.Monitor
		up     bool
		failed string // first failed assertion
	}{
		{"valid", tlsMonitor(longSrv, monitor.TLSCheck{CAFile: longCA}), true, ""},
		{"valid with server name", tlsMonitor(longSrv, monitor.TLSCheck{CAFile: longCA, ServerName: "example.com"}), true, ""},
		{"wrong name", tlsMonitor(longSrv, monitor.TLSCheck{CAFile: longCA, ServerName: "other.test"}), false, "chain_valid"},
		{"unknown authority", tlsMonitor(longSrv, monitor.TLSCheck{}), false, "chain_valid"},
		{"chain not checked", tlsMonitor(longSrv, monitor.TLSCheck{SkipChainTest: true}), true, ""},
		{"expires before min_valid_for", tlsMonitor(longSrv, monitor.TLSCheck{CAFile: longCA, MinValidFor: hundredYears}), false, "expires_in"},
		{"expires within the default week", tlsMonitor(shortSrv, monitor.TLSCheck{CAFile: shortCA}), false, "expires_in"},
		{"short but enough", tlsMonitor(shortSrv, monitor.TLSCheck{CAFile: shortCA, MinValidFor: monitor.Duration(time.Hour)}), true, ""},
		{"custom assertion", tlsMonitor(shortSrv, monitor.TLSCheck{CAFile: shortCA},
			`subject == "CN=short.test" && "short.test" in dns_names && version == "TLS 1.3"`), true, ""},
	}
	r := newTestRunner(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runOnce(t, r, tt.m)
			if len(res.Steps) != 1 || res.Steps[0].Synthetics.Step.Name != "tls handshake" {
				t.Fatalf("steps = %+v; want one step named tls handshake", res.Steps)
			}
			s := res.Steps[0]
			for _, k := range []string{"not_after", "issuer", "subject"} {
				if s.Details[k] == nil || s.Details[k] == "" {
					t.Errorf("details lack %s: %v", k, s.Details)
				}
			}
			if s.Timings.TLS.US <= 0 || s.Timings.Connect.US <= 0 {
				t.Errorf("timings = %+v", s.Timings)
			}
			if tt.up {
				wantStatus(t, res, result.StatusUp)
				return
			}
			wantStatus(t, res, result.StatusDown)
			wantError(t, res, result.ErrorAssertion, "assertion failed: "+tt.failed)
		})
	}
}

func TestTLSExpiryMessage(t *testing.T) {
	short := shortLivedCert(t, 24*time.Hour)
	srv := newTLSServer(t, http.NotFoundHandler(), &short)
	res := runOnce(t, newTestRunner(t), tlsMonitor(srv, monitor.TLSCheck{CAFile: writePEM(t, short.Certificate[0])}))
	wantStatus(t, res, result.StatusDown)
	a := res.Steps[0].Assertions
	if len(a) != 2 || !a[0].Passed || a[1].Passed || !strings.HasPrefix(a[1].Message, "expires_in was 23h59m") {
		t.Errorf("assertions = %+v; want chain valid and expiry failing with the time left", a)
	}
}

func TestTLSErrors(t *testing.T) {
	plain := httptest.NewServer(http.NotFoundHandler()) // speaks no TLS
	defer plain.Close()
	tests := []struct {
		name    string
		m       monitor.Monitor
		errType string
		msg     string
	}{
		{"not tls", tlsMonitor(plain, monitor.TLSCheck{}), result.ErrorIO, "tls handshake with 127.0.0.1"},
		{"refused", monitor.Monitor{ID: "x", Type: monitor.TypeTLS, TLS: &monitor.TLSCheck{Host: "127.0.0.1", Port: closedPort(t)}}, result.ErrorIO, "connection refused"},
		{"bad ca file", tlsMonitor(plain, monitor.TLSCheck{CAFile: writeFileT(t, "not pem")}), result.ErrorConfig, "no PEM certificates"},
		{"no section", monitor.Monitor{ID: "x", Type: monitor.TypeTLS}, result.ErrorConfig, "tls monitor has no tls section"},
	}
	r := newTestRunner(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runOnce(t, r, tt.m)
			wantStatus(t, res, result.StatusDown)
			wantError(t, res, tt.errType, tt.msg)
		})
	}
}

func writeFileT(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
