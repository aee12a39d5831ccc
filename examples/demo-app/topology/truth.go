// Package topology is the multi-service shop that `make accuracy` runs
// under the agent: a Go gateway that fans out in parallel to a Python
// users service and a Go cart service, then calls a Go orders service;
// cart and orders use PostgreSQL and Redis, users uses Redis, every hop
// through shared keep-alive connection pools. Each service writes the
// ground truth of what it served and called (vigil accuracy's format) and
// passes W3C trace context on, so exact mode has something to honour.
package topology

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/vigil-dev/vigil/internal/accuracy"
)

// Recorder appends truth spans to a file, buffered: the file's writes are
// not traffic, but each syscall still costs the traced process.
type Recorder struct {
	mu      sync.Mutex
	f       *os.File
	w       *bufio.Writer
	service string
	pid     int
}

// NewRecorder creates the truth file of one service.
func NewRecorder(path, service string) (*Recorder, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("creating truth file: %w", err)
	}
	return &Recorder{f: f, w: bufio.NewWriterSize(f, 1<<20), service: service, pid: os.Getpid()}, nil
}

// Record writes one span, filling service and pid.
func (r *Recorder) Record(t accuracy.TruthSpan) {
	t.Service, t.PID = r.service, r.pid
	b, _ := json.Marshal(t)
	r.mu.Lock()
	defer r.mu.Unlock()
	_, _ = r.w.Write(append(b, '\n'))
}

// Close flushes the file.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.w.Flush(); err != nil {
		return err
	}
	return r.f.Close()
}

// Context is a request's place in its trace.
type Context struct {
	TraceID, SpanID string
}

func hexID(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[rand.IntN(16)]
	}
	if strings.Trim(string(b), "0") == "" {
		b[0] = '1'
	}
	return string(b)
}

// serverSpan starts the truth of a request this service serves: it joins
// the caller's trace from traceparent, or begins one.
func serverSpan(r *http.Request, op string) (accuracy.TruthSpan, Context) {
	t := accuracy.TruthSpan{Kind: "server", Protocol: "http", Operation: op, StartUnixNano: time.Now().UnixNano(),
		SpanID: hexID(16), PeerAddr: r.RemoteAddr}
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		t.LocalAddr = la.String()
	}
	parts := strings.Split(r.Header.Get("traceparent"), "-")
	if len(parts) == 4 && len(parts[1]) == 32 && len(parts[2]) == 16 {
		t.TraceID, t.ParentSpanID = parts[1], parts[2]
	} else {
		t.TraceID = hexID(32)
	}
	return t, Context{TraceID: t.TraceID, SpanID: t.SpanID}
}

// clientSpan starts the truth of a call made for the request c.
func clientSpan(c Context, protocol, op string, conn net.Conn) accuracy.TruthSpan {
	return accuracy.TruthSpan{TraceID: c.TraceID, SpanID: hexID(16), ParentSpanID: c.SpanID, Kind: "client",
		Protocol: protocol, Operation: op, LocalAddr: conn.LocalAddr().String(), PeerAddr: conn.RemoteAddr().String()}
}
