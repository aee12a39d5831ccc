package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vigil-dev/vigil/internal/otlp"
	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/spool"
	"github.com/vigil-dev/vigil/internal/store"
)

// ServiceOptions say which inputs run and where their spans go.
type ServiceOptions struct {
	// Datagram configures the UDP input; Datagram.Addr "off" disables it.
	Datagram DatagramOptions
	// Listen serves OTLP/HTTP, /metrics and /healthz; "off" disables it.
	Listen string
	OTLP   otlp.Options
	// Spool holds the spans on disk while the store is unreachable.
	SpoolDir  string
	SpoolOpts spool.Options
	// Filter redacts every span of every input before it is spooled or
	// stored (Datagram.Filter and OTLP.Filter are set from it).
	Filter func(*span.Span)
	// Registry receives the inputs' metrics; /metrics serves Gatherer.
	Registry prometheus.Registerer
	Gatherer prometheus.Gatherer
}

// Off disables an input.
const Off = "off"

// Service runs the inputs until Stop.
type Service struct {
	spool    *spool.Spool
	datagram *DatagramListener
	otlp     *otlp.Handler
	http     *http.Server
	httpAddr net.Addr
	cancel   context.CancelFunc
	done     chan struct{}
	log      *slog.Logger
}

// Start binds every enabled input and starts serving; spans go through the
// spool to w.
func Start(ctx context.Context, opts ServiceOptions, w store.SpanWriter, log *slog.Logger) (*Service, error) {
	sp, err := spool.New(opts.SpoolDir, w, opts.SpoolOpts, log.With("component", "spool"))
	if err != nil {
		return nil, fmt.Errorf("opening the ingest spool: %w", err)
	}
	s := &Service{spool: sp, done: make(chan struct{}), log: log}
	fail := func(err error) (*Service, error) {
		_ = s.Stop()
		return nil, err
	}
	if opts.Datagram.Addr != Off {
		opts.Datagram.Filter = opts.Filter
		if s.datagram, err = ListenDatagrams(opts.Datagram, sp, log.With("component", "datagrams")); err != nil {
			return fail(err)
		}
	}
	if opts.Listen != Off {
		opts.OTLP.Filter = opts.Filter
		opts.OTLP.Logger = log
		s.otlp = otlp.NewHandler(spoolSink{sp}, opts.OTLP)
		if err := s.serveHTTP(opts); err != nil {
			return fail(err)
		}
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	go sp.Run(runCtx) // drains what was spooled while the store was down
	go func() {
		defer close(s.done)
		if s.datagram != nil {
			if err := s.datagram.Run(runCtx); err != nil {
				log.Error("datagram listener stopped", "error", err)
			}
		}
	}()
	if opts.Registry != nil {
		if err := opts.Registry.Register(sp.Collector("ingest")); err != nil {
			return fail(err)
		}
		if err := s.register(opts.Registry); err != nil {
			return fail(err)
		}
	}
	return s, nil
}

func (s *Service) serveHTTP(opts ServiceOptions) error {
	mux := http.NewServeMux()
	mux.Handle("/v1/traces", s.otlp)
	if opts.Gatherer != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{}))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return fmt.Errorf("listening for OTLP/HTTP on %s: %w", opts.Listen, err)
	}
	s.httpAddr = ln.Addr()
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("OTLP/HTTP server stopped", "error", err)
		}
	}()
	return nil
}

// DatagramAddr is the bound UDP address, "" when the input is off.
func (s *Service) DatagramAddr() string {
	if s.datagram == nil {
		return ""
	}
	return s.datagram.Addr().String()
}

// HTTPAddr is the bound OTLP/HTTP address, "" when the input is off.
func (s *Service) HTTPAddr() string {
	if s.httpAddr == nil {
		return ""
	}
	return s.httpAddr.String()
}

// DatagramStats and OTLPStats report the inputs' counters.
func (s *Service) DatagramStats() DatagramStats {
	if s.datagram == nil {
		return DatagramStats{}
	}
	return s.datagram.Stats()
}

func (s *Service) OTLPStats() otlp.Stats {
	if s.otlp == nil {
		return otlp.Stats{}
	}
	return s.otlp.Stats()
}

// SpoolStats reports the spool's counters.
func (s *Service) SpoolStats() spool.Stats { return s.spool.Stats() }

// Stop stops the inputs, writes what they hold and closes the spool.
func (s *Service) Stop() error {
	var errs []error
	if s.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, s.http.Shutdown(ctx))
		cancel()
	}
	if s.cancel != nil {
		s.cancel()
		<-s.done
	} else if s.datagram != nil {
		_ = s.datagram.conn.Close()
	}
	errs = append(errs, s.spool.Close())
	return errors.Join(errs...)
}

// spoolSink adapts the spool to the OTLP handler: a request is answered
// only once its spans are stored or spooled.
type spoolSink struct{ sp *spool.Spool }

func (k spoolSink) WriteSpans(ctx context.Context, spans []span.Span) error {
	return k.sp.Write(ctx, spans)
}
