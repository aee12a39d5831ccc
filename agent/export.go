package agent

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"

	"github.com/vigil-dev/vigil/internal/span"
)

// SpanSink takes batches of spans; the spool is one (it holds them on disk
// while the store is unreachable).
type SpanSink interface {
	Write(ctx context.Context, batch []span.Span) error
}

// exporter hands full batches to the sink on its own goroutine so the event
// loop never waits for the store. When the sink falls behind by more than
// queue batches, the newest batch is dropped and counted: the traced
// processes are never slowed.
type exporter struct {
	sink    SpanSink
	stdout  io.Writer        // optional: every span as a JSON line
	filter  func(*span.Span) // optional: redaction, before anything leaves
	queue   chan []span.Span
	free    chan []span.Span // written batches, reused so the hot path allocates none
	metrics *Metrics
	log     *slog.Logger
	wg      sync.WaitGroup
}

func newExporter(sink SpanSink, stdout io.Writer, queue int, m *Metrics, log *slog.Logger) *exporter {
	return &exporter{sink: sink, stdout: stdout, queue: make(chan []span.Span, queue), free: make(chan []span.Span, min(queue, keptBatches)), metrics: m, log: log}
}

// keptBatches is how many written batches are kept for reuse: enough for
// the event loop never to allocate one in steady state, few enough that a
// burst's batches do not stay in memory after it.
const keptBatches = 4

// exportQueue is the queue length, in batches, that holds at most spans
// spans of batches of batchSize (at least two: one written, one filling).
func exportQueue(spans, batchSize int) int {
	return max(2, spans/max(batchSize, 1))
}

func (e *exporter) start(ctx context.Context) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		var enc *json.Encoder
		if e.stdout != nil {
			enc = json.NewEncoder(e.stdout)
		}
		for batch := range e.queue {
			if e.filter != nil { // here, off the event loop
				for i := range batch {
					e.filter(&batch[i])
				}
			}
			if enc != nil {
				for i := range batch {
					_ = enc.Encode(&batch[i])
				}
			}
			if err := e.sink.Write(ctx, batch); err != nil {
				e.metrics.Dropped.WithLabelValues("sink_error").Add(float64(len(batch)))
				e.log.Error("spans lost: neither the store nor the spool took them", "spans", len(batch), "err", err)
			}
			// Sinks do not keep the slice (the spool and the store encode it).
			clear(batch)
			select {
			case e.free <- batch[:0]:
			default:
			}
		}
	}()
}

// submit queues a batch without waiting.
func (e *exporter) submit(batch []span.Span) {
	select {
	case e.queue <- batch:
	default:
		e.metrics.Dropped.WithLabelValues("export_queue_full").Add(float64(len(batch)))
	}
}

// batch returns an empty batch of at least n capacity, reused when one is free.
func (e *exporter) batch(n int) []span.Span {
	select {
	case b := <-e.free:
		return b
	default:
		return make([]span.Span, 0, n)
	}
}

// stop drains the queue and waits for the last write.
func (e *exporter) stop() {
	close(e.queue)
	e.wg.Wait()
}
