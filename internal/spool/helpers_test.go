package spool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/span"
)

var errDown = errors.New("store down")

// fakeStore records the batches it accepts; it fails while down, for the
// next failN calls, or hangs until the context ends while hang is set.
type fakeStore struct {
	mu      sync.Mutex
	batches [][]span.Span
	down    bool
	failN   int
	hang    bool
	calls   int
}

func (f *fakeStore) WriteSpans(ctx context.Context, spans []span.Span) error {
	f.mu.Lock()
	f.calls++
	if f.hang {
		f.mu.Unlock()
		<-ctx.Done()
		return ctx.Err()
	}
	defer f.mu.Unlock()
	if f.failN > 0 {
		f.failN--
		return errDown
	}
	if f.down {
		return errDown
	}
	f.batches = append(f.batches, slices.Clone(spans))
	return nil
}

func (f *fakeStore) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

func (f *fakeStore) ids() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for _, b := range f.batches {
		for _, s := range b {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

func (f *fakeStore) numCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// batch returns n spans with IDs <prefix>-<i>, i from `from`.
func batch(prefix string, from, n int) []span.Span {
	at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	b := make([]span.Span, n)
	for i := range b {
		id := fmt.Sprintf("%s-%05d", prefix, from+i)
		b[i] = span.Span{
			ID:        id,
			Timestamp: at.Add(time.Duration(from+i) * time.Second), // same length in JSON for every span
			Trace:     span.Trace{ID: span.NewID("trace", id)},
			Span:      span.Info{ID: span.NewID("span", id), Kind: span.KindServer, Name: "GET /orders", Duration: span.Micros{US: 1234}},
			Service:   span.Service{Name: "shop"},
			HTTP:      &span.HTTP{Request: span.HTTPRequest{Method: "GET", Path: "/orders"}, Response: span.HTTPResponse{StatusCode: 200}},
			Event:     span.Event{Outcome: span.OutcomeSuccess},
			Vigil:     span.Vigil{Source: span.SourceEBPF},
		}
	}
	return b
}

// batchIDs returns the IDs of batches [from, to) of size n written with prefix.
func batchIDs(prefix string, n int, batches ...int) []string {
	var ids []string
	for _, i := range batches {
		for _, s := range batch(prefix, i*n, n) {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

func seq(from, to int) []int {
	var s []int
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

// recordLen is the on-disk size of batch(prefix, i*n, n).
func recordLen(t *testing.T, n int) int64 {
	t.Helper()
	rec, err := encodeRecord(batch("b", 0, n))
	require.NoError(t, err)
	return int64(len(rec))
}

func fastOpts(o Options) Options {
	if o.RetryInterval == 0 {
		o.RetryInterval = 2 * time.Millisecond
	}
	if o.MaxRetryInterval == 0 {
		o.MaxRetryInterval = 20 * time.Millisecond
	}
	return o
}

func newSpool(t *testing.T, dir string, w *fakeStore, opts Options, log *slog.Logger) *Spool {
	t.Helper()
	s, err := New(dir, w, fastOpts(opts), log)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// startRun runs s.Run until the test ends and checks that it returns.
func startRun(t *testing.T, s *Spool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	})
}

func writeBatches(t *testing.T, s *Spool, prefix string, n int, batches ...int) {
	t.Helper()
	for _, i := range batches {
		require.NoError(t, s.Write(context.Background(), batch(prefix, i*n, n)))
	}
}

// waitDrained waits until the spool holds nothing.
func waitDrained(t *testing.T, s *Spool) {
	t.Helper()
	require.Eventually(t, func() bool {
		st := s.Stats()
		return st.Segments == 0 && st.SpooledSpans == 0 && st.SpooledBytes == 0
	}, 10*time.Second, 2*time.Millisecond, "spool not drained: %+v", s.Stats())
}

func segFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*"+segExt))
	require.NoError(t, err)
	return files
}

// logBuffer is a concurrency-safe sink for a test logger.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) count(sub string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Count(l.buf.Bytes(), []byte(sub))
}
