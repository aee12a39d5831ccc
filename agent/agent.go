// Package agent is vigil's node agent: it loads the eBPF programs of bpf/,
// reads their ring buffer, follows each connection's byte streams, parses
// the protocols into spans, and exports them to the store through a bounded
// on-disk spool. It ships as `vigil agent` and as the lean cmd/vigil-agent,
// which must never link the Temporal server.
package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/ringbuf"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/span"
)

// Options wire an agent.
type Options struct {
	Config   config.Agent
	Sink     SpanSink              // where batches go (the spool)
	Registry prometheus.Registerer // the agent's metrics are registered here
	Stdout   io.Writer             // when set, every span is also printed as a JSON line
	// Filter redacts each span before it is printed, spooled or stored.
	Filter func(*span.Span)
	Log    *slog.Logger
}

// Agent captures, parses and exports.
type Agent struct {
	cfg      config.Agent
	capture  *Capture
	tls      *tlsProbes
	tracker  *tracker
	exporter *exporter
	metrics  *Metrics
	log      *slog.Logger
}

// New loads and attaches the BPF programs with the configured filter.
func New(opts Options) (*Agent, error) {
	cfg := opts.Config
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("agent configuration: %w", err)
	}
	log := opts.Log.With("component", "agent")
	filter, err := buildFilter(cfg)
	if err != nil {
		return nil, err
	}
	rules := make([]ServiceRule, 0, len(cfg.Services)+1)
	if cfg.ServiceName != "" {
		rules = append(rules, ServiceRule{Name: cfg.ServiceName, Exe: "."})
	}
	for _, r := range cfg.Services {
		rules = append(rules, ServiceRule{Name: r.Name, Exe: r.Exe, Process: r.Process, Container: r.Container})
	}
	procs, err := NewProcesses(cfg.ProcRoot, rules)
	if err != nil {
		return nil, fmt.Errorf("agent services: %w", err)
	}
	node := cfg.Node
	if node == "" {
		node, _ = os.Hostname()
	}
	cpus, err := ebpf.PossibleCPU()
	if err != nil {
		return nil, fmt.Errorf("counting the node's CPUs: %w", err)
	}
	ring := cfg.RingBytes(cpus)
	capture, err := OpenCapture(CaptureOptions{
		CaptureBytes: cfg.CaptureBytes, RingBytes: ring, WakeupBytes: cfg.WakeupBytes, TraceSelf: cfg.TraceSelf,
		Hooks: cfg.Hooks,
	}, filter, log)
	if err != nil {
		return nil, err
	}
	m := NewMetrics(opts.Registry, capture.Stats)
	m.SetREDSeries(cfg.REDMaxSeries)
	a := &Agent{cfg: cfg, capture: capture, metrics: m, log: log}
	a.tls = newTLSProbes(capture, cfg.ProcRoot, filter, m, log)
	a.tls.start()
	a.exporter = newExporter(opts.Sink, opts.Stdout, exportQueue(cfg.ExportQueueSpans, cfg.BatchSize), m, log)
	a.exporter.filter = opts.Filter
	a.tracker = newTracker(trackerOptions{
		node: node, procs: procs, clock: newClock(), metrics: m, log: log,
		batchSize: cfg.BatchSize, submit: a.exporter.submit, newBatch: a.exporter.batch,
		forget:     func(tgid uint32) { capture.ForgetProcess(tgid); a.tls.forget(tgid) },
		newProcess: a.tls.notice,
		exec:       a.tls.exec,
	})
	log.Info("capturing", "pids", cfg.PIDs, "cgroups", cfg.Cgroups, "ports", cfg.Ports,
		"capture_bytes", cfg.CaptureBytes, "ring_buffer_bytes", ring, "node", node)
	return a, nil
}

func buildFilter(cfg config.Agent) (Filter, error) {
	var f Filter
	for _, p := range cfg.PIDs {
		f.PIDs = append(f.PIDs, uint32(p))
	}
	for _, p := range cfg.Ports {
		f.Ports = append(f.Ports, uint16(p))
	}
	for _, path := range cfg.Cgroups {
		cg, err := ResolveCgroup(path)
		if err != nil {
			return f, fmt.Errorf("agent cgroup filter: %w", err)
		}
		f.Cgroups = append(f.Cgroups, cg)
	}
	return f, nil
}

// Capture gives access to the kernel side (filters, statistics).
func (a *Agent) Capture() *Capture { return a.capture }

// Run reads events until ctx ends, then flushes what it holds and unloads
// the programs.
func (a *Agent) Run(ctx context.Context) error {
	a.exporter.start(context.WithoutCancel(ctx))
	defer a.capture.Close()
	defer a.tls.close()
	defer a.exporter.stop()
	tlsCtx, stopTLS := context.WithCancel(ctx)
	defer stopTLS()
	go a.tls.run(tlsCtx)
	stopped := make(chan struct{})
	defer close(stopped)
	go func() { // a Read waiting for its deadline returns at once
		select {
		case <-ctx.Done():
			_ = a.capture.Flush()
		case <-stopped:
		}
	}()
	var rec ringbuf.Record
	now := time.Now()
	wait := a.cfg.FlushInterval
	deadline, lastFlush := now.Add(wait), now
	events := 0 // read since the last deadline
	for n := 0; ; n++ {
		err := a.capture.Read(&rec, deadline)
		switch {
		case err == nil:
			a.tracker.handle(rec.RawSample)
			events++
			if n&255 != 0 {
				continue // the clock and ctx are read once per 256 events
			}
		case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, ringbuf.ErrFlushed):
			wait = nextWait(wait, events > 0, a.cfg.FlushInterval, a.cfg.BatchInterval)
			events = 0
		case errors.Is(err, ringbuf.ErrClosed):
			return nil
		default:
			return fmt.Errorf("reading the ring buffer: %w", err)
		}
		if ctx.Err() != nil {
			break
		}
		now = time.Now()
		deadline = now.Add(wait)
		if now.Sub(lastFlush) >= a.cfg.BatchInterval {
			a.tracker.flush()
			a.tracker.sweep(now.Add(-a.cfg.IdleTimeout))
			lastFlush = now
		}
	}
	a.drain(&rec)
	a.tracker.closeAll()
	a.tracker.flush()
	return nil
}

// nextWait is how long the reader waits for events after a wait that saw
// some (busy) or none: flush while events flow, doubling while idle up to
// the batch interval, which bounds a span's delay anyway. An idle agent
// then wakes about once a second instead of 20 times; exec and exit events
// wake it at once (BPF_RB_FORCE_WAKEUP) whatever the wait.
func nextWait(wait time.Duration, busy bool, flush, batch time.Duration) time.Duration {
	if busy {
		return flush
	}
	return min(2*wait, max(flush, batch))
}

// drain handles what the ring buffer still holds when the agent stops (a
// backlog, events queued below the wakeup threshold), for at most
// drainFor: the traced processes keep adding to it.
func (a *Agent) drain(rec *ringbuf.Record) {
	until := time.Now().Add(drainFor)
	for n := 0; ; n++ {
		if n&255 == 0 && time.Now().After(until) {
			return
		}
		if err := a.capture.Read(rec, time.Now()); err != nil {
			if errors.Is(err, ringbuf.ErrFlushed) {
				continue // the stop's flush, if it came after the loop ended
			}
			return
		}
		a.tracker.handle(rec.RawSample)
	}
}

const drainFor = 2 * time.Second

// Span export for callers that want the spans in process (tests, dev).
var _ SpanSink = (*funcSink)(nil)

type funcSink struct {
	f func(ctx context.Context, batch []span.Span) error
}

func (s *funcSink) Write(ctx context.Context, batch []span.Span) error { return s.f(ctx, batch) }

// SinkFunc adapts a function to a SpanSink.
func SinkFunc(f func(ctx context.Context, batch []span.Span) error) SpanSink { return &funcSink{f} }
