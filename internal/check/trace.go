package check

import (
	"crypto/tls"
	"net/http/httptrace"
	"sync"
	"time"

	"github.com/vigil-dev/vigil/internal/monitor"
)

// tracer collects the phases of one step's requests. DNS, connect and TLS
// are phase lengths, summed over redirects and zero on a reused
// connection; first byte and total are measured from the start of the
// step. Callbacks may come from several goroutines (parallel dials).
type tracer struct {
	mu        sync.Mutex
	start     time.Time
	dnsStart  time.Time
	connStart map[string]time.Time
	tlsStart  time.Time
	t         monitor.Timings
}

func newTracer(start time.Time) *tracer {
	return &tracer{start: start, connStart: map[string]time.Time{}}
}

func (tr *tracer) clientTrace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		DNSStart:             func(httptrace.DNSStartInfo) { tr.mark(&tr.dnsStart) },
		DNSDone:              func(httptrace.DNSDoneInfo) { tr.add(&tr.t.DNS, tr.dnsStart) },
		ConnectStart:         tr.connectStart,
		ConnectDone:          tr.connectDone,
		TLSHandshakeStart:    func() { tr.mark(&tr.tlsStart) },
		TLSHandshakeDone:     func(tls.ConnectionState, error) { tr.add(&tr.t.TLS, tr.tlsStart) },
		GotFirstResponseByte: tr.firstByte,
	}
}

func (tr *tracer) mark(at *time.Time) {
	now := time.Now()
	tr.mu.Lock()
	*at = now
	tr.mu.Unlock()
}

func (tr *tracer) add(d *time.Duration, since time.Time) {
	now := time.Now()
	tr.mu.Lock()
	if !since.IsZero() {
		*d += now.Sub(since)
	}
	tr.mu.Unlock()
}

func (tr *tracer) connectStart(network, addr string) {
	now := time.Now()
	tr.mu.Lock()
	tr.connStart[network+" "+addr] = now
	tr.mu.Unlock()
}

// connectDone counts only the dial that succeeded: a failed happy-eyeballs
// attempt is not the connection used.
func (tr *tracer) connectDone(network, addr string, err error) {
	now := time.Now()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	key := network + " " + addr
	if start, ok := tr.connStart[key]; ok && err == nil {
		tr.t.Connect += now.Sub(start)
	}
	delete(tr.connStart, key)
}

// firstByte keeps the last response's: after redirects, that of the final
// response.
func (tr *tracer) firstByte() {
	now := time.Now()
	tr.mu.Lock()
	tr.t.FirstByte = now.Sub(tr.start)
	tr.mu.Unlock()
}

// timings returns the phases with total ending at end.
func (tr *tracer) timings(end time.Time) monitor.Timings {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	t := tr.t
	t.Total = end.Sub(tr.start)
	return t
}
