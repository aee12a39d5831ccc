package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/ingest"
	"github.com/vigil-dev/vigil/internal/otlp"
	"github.com/vigil-dev/vigil/internal/redact"
	"github.com/vigil-dev/vigil/internal/spool"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/store/sqlite"
)

func newIngestCmd(g *globalOpts) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ingest",
		Short: "Receive in-process agents' datagrams (UDP 51712) and OTLP/HTTP traces into the store",
		Long: `vigil ingest listens for the UDP datagrams in-process agents send after each
outgoing call (tab-separated, a version code first) and for OTLP/HTTP traces
(POST /v1/traces, protobuf or JSON, gzip too). Every span is redacted by the
redact: rules, then stored through an on-disk spool that holds spans while
the store is unreachable. "off" disables an input.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig(cmd.Flags(), func(c *config.Config, f *pflag.FlagSet) {
				setIf(f, "udp", &c.Ingest.UDP, f.GetString)
				setIf(f, "listen", &c.Ingest.Listen, f.GetString)
				setIf(f, "service", &c.Ingest.Service, f.GetString)
				setIf(f, "data-dir", &c.DataDir, f.GetString)
				setIf(f, "log-level", &c.LogLevel, f.GetString)
			})
			if err != nil {
				return err
			}
			return runIngest(cmd.Context(), g, cfg)
		},
	}
	d := config.Default()
	cmd.Flags().String("udp", d.Ingest.UDP, `address for in-process agents' datagrams ("off": none)`)
	cmd.Flags().String("listen", d.Ingest.Listen, `address of OTLP/HTTP, /metrics and /healthz ("off": none)`)
	cmd.Flags().String("service", "", "service.name of datagram spans (default: the sender's address)")
	cmd.Flags().String("data-dir", d.DataDir, "directory of the embedded store and the spool")
	cmd.Flags().String("log-level", d.LogLevel, "debug, info, warn or error")
	return cmd
}

func runIngest(ctx context.Context, g *globalOpts, cfg config.Config) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log := newLogger(cfg, g.stderr)
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("creating data directory %s: %w", cfg.DataDir, err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, "vigil.db"), sqlite.Options{Retention: cfg.Store.Retention, Logger: log})
	if err != nil {
		return fmt.Errorf("opening the embedded store: %w", err)
	}
	defer st.Close()
	red, err := redact.New(cfg.Redact)
	if err != nil {
		return fmt.Errorf("redaction rules: %w", err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	in, err := startIngest(ctx, cfg, st, red, reg, reg, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "vigil ingest %s is running (data in %s)\n", version, cfg.DataDir)
	printIngest(g.stdout, in)
	<-ctx.Done()
	return in.Stop()
}

// startIngest runs the datagram and OTLP inputs of cfg, redacting with red,
// into w. gather, when set, is served on the OTLP listener's /metrics.
func startIngest(ctx context.Context, cfg config.Config, w store.SpanWriter, red *redact.Redactor,
	reg prometheus.Registerer, gather prometheus.Gatherer, log *slog.Logger) (*ingest.Service, error) {
	in := cfg.Ingest
	if err := in.Validate(); err != nil {
		return nil, fmt.Errorf("invalid ingest configuration:\n%w", err)
	}
	node := in.Node
	if node == "" {
		node, _ = os.Hostname()
	}
	svc, err := ingest.Start(ctx, ingest.ServiceOptions{
		Datagram: ingest.DatagramOptions{
			Addr: in.UDP, Service: in.Service, Node: node, Routes: in.Routes, ReadBuffer: in.ReadBuffer,
			BatchSize: in.BatchSize, BatchInterval: in.BatchInterval, RedactText: red.URLText,
		},
		Listen:    in.Listen,
		OTLP:      otlp.Options{MaxBodyBytes: in.MaxBodyBytes, MaxDecompressedBytes: 4 * in.MaxBodyBytes},
		SpoolDir:  filepath.Join(cfg.DataDir, "ingest-spool"),
		SpoolOpts: spool.Options{MaxBytes: in.SpoolMaxBytes},
		Filter:    red.Span,
		Registry:  reg,
		Gatherer:  gather,
	}, w, log)
	if err != nil {
		return nil, fmt.Errorf("starting the inputs (datagrams %s, OTLP %s; \"off\" disables one): %w", in.UDP, in.Listen, err)
	}
	return svc, nil
}

func printIngest(w io.Writer, in *ingest.Service) {
	if a := in.DatagramAddr(); a != "" {
		fmt.Fprintf(w, "  Datagrams          udp://%s (in-process agents)\n", a)
	}
	if a := in.HTTPAddr(); a != "" {
		fmt.Fprintf(w, "  OTLP/HTTP          http://%s/v1/traces\n", a)
	}
}
