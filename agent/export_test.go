package agent

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigil-dev/vigil/internal/span"
)

// stalledSink holds its first Write until released, as a store that fell
// behind would.
type stalledSink struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
	mu      sync.Mutex
	spans   int
}

func (s *stalledSink) Write(_ context.Context, batch []span.Span) error {
	s.once.Do(func() {
		close(s.entered)
		<-s.release
	})
	s.mu.Lock()
	s.spans += len(batch)
	s.mu.Unlock()
	return nil
}

// TestExportQueueBoundsMemory: while the store falls behind, no more than
// the queue's spans wait in memory; the rest are dropped and counted, and
// what was queued is written once the store takes it.
func TestExportQueueBoundsMemory(t *testing.T) {
	const batchSize, queueSpans = 100, 500
	queue := exportQueue(queueSpans, batchSize)
	if queue != 5 {
		t.Fatalf("exportQueue(%d, %d) = %d batches, want 5", queueSpans, batchSize, queue)
	}
	m := NewMetrics(prometheus.NewRegistry(), nil)
	sink := &stalledSink{entered: make(chan struct{}), release: make(chan struct{})}
	ex := newExporter(sink, nil, queue, m, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ex.start(context.Background())
	full := func() []span.Span {
		b := ex.batch(batchSize)
		for range batchSize {
			b = append(b, span.Span{ID: "x"})
		}
		return b
	}
	ex.submit(full())
	<-sink.entered // the first batch is being written, and stalls
	for range queue + 3 {
		ex.submit(full())
	}
	dropped := m.Dropped.WithLabelValues("export_queue_full")
	if got := testutil.ToFloat64(dropped); got != 3*batchSize {
		t.Errorf("dropped %v spans while the store stalled, want %d (3 batches beyond a queue of %d)", got, 3*batchSize, queue)
	}
	close(sink.release)
	ex.stop()
	if want := (1 + queue) * batchSize; sink.spans != want {
		t.Errorf("the store took %d spans, want %d: every queued batch", sink.spans, want)
	}
	if n := len(ex.free); n > keptBatches {
		t.Errorf("%d written batches kept for reuse, want at most %d", n, keptBatches)
	}
}

func TestExportQueueLength(t *testing.T) {
	for _, c := range []struct{ spans, batch, want int }{
		{16384, 2000, 8},
		{2000, 2000, 2}, // never fewer than two
		{100, 0, 100},   // a zero batch size (rejected by Validate) does not divide by zero
	} {
		if got := exportQueue(c.spans, c.batch); got != c.want {
			t.Errorf("exportQueue(%d, %d) = %d, want %d", c.spans, c.batch, got, c.want)
		}
	}
}
