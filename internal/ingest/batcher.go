package ingest

import (
	"context"
	"log/slog"
	"sync"

	"github.com/vigil-dev/vigil/internal/span"
)

// Sink takes batches of spans; the spool in front of the store is one.
type Sink interface {
	Write(ctx context.Context, batch []span.Span) error
}

// writer hands full batches to the sink on its own goroutine, so a reader
// never waits for the store. When the sink falls behind by more than its
// queue, the batch is dropped and counted, never blocking the socket.
type writer struct {
	sink    Sink
	queue   chan []span.Span
	free    chan []span.Span
	dropped func(reason string, n int)
	log     *slog.Logger
	wg      sync.WaitGroup
}

func newWriter(sink Sink, queue int, dropped func(string, int), log *slog.Logger) *writer {
	return &writer{sink: sink, queue: make(chan []span.Span, queue), free: make(chan []span.Span, queue+1), dropped: dropped, log: log}
}

// start writes until stop; ctx bounds each write.
func (w *writer) start(ctx context.Context) {
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		for batch := range w.queue {
			if err := w.sink.Write(ctx, batch); err != nil {
				w.dropped("sink_error", len(batch))
				w.log.ErrorContext(ctx, "spans lost: neither the store nor the spool took them", "spans", len(batch), "error", err)
			}
			clear(batch) // sinks do not keep the slice
			select {
			case w.free <- batch[:0]:
			default:
			}
		}
	}()
}

// submit queues a batch without waiting.
func (w *writer) submit(batch []span.Span) {
	if len(batch) == 0 {
		return
	}
	select {
	case w.queue <- batch:
	default:
		w.dropped("queue_full", len(batch))
	}
}

// batch returns an empty batch, reused when one is free.
func (w *writer) batch(n int) []span.Span {
	select {
	case b := <-w.free:
		return b
	default:
		return make([]span.Span, 0, n)
	}
}

// stop writes what is queued and waits for the last write.
func (w *writer) stop() {
	close(w.queue)
	w.wg.Wait()
}
