// Package agentcli is the `agent` command shared by `vigil agent` and the
// lean `vigil-agent` binary, and the wiring that runs the agent beside
// `vigil dev`. It must not import the Temporal server.
package agentcli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/vigil-dev/vigil/agent"
	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/redact"
	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/spool"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/store/sqlite"
)

// NewCommand builds `agent`; configFile points at the root's --config.
func NewCommand(stdout, stderr io.Writer, configFile *string) *cobra.Command {
	var printSpans bool
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Trace the HTTP traffic of this node's processes with eBPF (needs root) and store the spans",
		Long: `agent loads vigil's eBPF programs, follows the socket traffic of the chosen
processes (all but itself by default), turns each HTTP/1 request/response
pair into a span and stores it in the embedded store under --data-dir,
through an on-disk spool that holds spans while the store is unreachable.
It serves /metrics and /healthz on --listen.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(*configFile, cmd)
			if err != nil {
				return err
			}
			log := cfg.NewLogger(stderr)
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			var out io.Writer
			if printSpans {
				out = stdout
			}
			return Run(ctx, cfg, out, log)
		},
	}
	f := cmd.Flags()
	f.String("data-dir", ".vigil", "directory of the embedded store (vigil.db) and the spool")
	f.IntSlice("pid", nil, "trace this process (repeatable); default: every process")
	f.StringSlice("cgroup", nil, "trace the processes of this cgroup directory (repeatable; on cgroup v1 a path under the memory hierarchy)")
	f.IntSlice("port", nil, "trace only connections with this local or peer port (repeatable)")
	f.Int("capture-bytes", agent.DefaultCaptureBytes, "bytes copied from each syscall buffer (64-16384)")
	f.String("service-name", "", "service name of every traced process (default: the process name)")
	f.String("hooks", "auto", "where socket I/O is observed: socket (socket-layer tracepoints, kernel 6.3+), syscall (syscall-exit tracepoint, 5.8+) or auto")
	f.String("listen", "127.0.0.1:9464", "address of /metrics and /healthz (empty: none)")
	f.String("log-level", "info", "debug, info, warn or error")
	f.BoolVar(&printSpans, "stdout", false, "also print each span as a JSON line on standard output")
	return cmd
}

func loadConfig(file string, cmd *cobra.Command) (config.Config, error) {
	c, err := config.Load(file, os.Environ())
	if err != nil {
		return c, err
	}
	f := cmd.Flags()
	if f.Changed("data-dir") {
		c.DataDir, _ = f.GetString("data-dir")
	}
	if f.Changed("pid") {
		c.Agent.PIDs, _ = f.GetIntSlice("pid")
	}
	if f.Changed("cgroup") {
		c.Agent.Cgroups, _ = f.GetStringSlice("cgroup")
	}
	if f.Changed("port") {
		c.Agent.Ports, _ = f.GetIntSlice("port")
	}
	if f.Changed("capture-bytes") {
		c.Agent.CaptureBytes, _ = f.GetInt("capture-bytes")
	}
	if f.Changed("service-name") {
		c.Agent.ServiceName, _ = f.GetString("service-name")
	}
	if f.Changed("hooks") {
		c.Agent.Hooks, _ = f.GetString("hooks")
	}
	if f.Changed("listen") {
		c.Agent.Listen, _ = f.GetString("listen")
	}
	if f.Changed("log-level") {
		c.LogLevel, _ = f.GetString("log-level")
	}
	if err := errors.Join(c.Validate(), c.Agent.Validate()); err != nil {
		return c, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return c, nil
}

// Run runs a standalone agent until ctx ends.
func Run(ctx context.Context, cfg config.Config, stdout io.Writer, log *slog.Logger) error {
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("creating data directory %s: %w", cfg.DataDir, err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, "vigil.db"), sqlite.Options{Retention: cfg.Store.Retention, Logger: log})
	if err != nil {
		return fmt.Errorf("opening the embedded store: %w", err)
	}
	defer st.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	red, err := redact.New(cfg.Redact)
	if err != nil {
		return fmt.Errorf("redaction rules: %w", err)
	}
	emb, err := Start(ctx, cfg.Agent, cfg.DataDir, st, red.Span, reg, stdout, log)
	if err != nil {
		return err
	}
	if cfg.Agent.Listen != "" {
		srv, err := serveMetrics(cfg.Agent.Listen, reg, log)
		if err != nil {
			emb.Stop()
			return err
		}
		defer srv.Close()
	}
	<-ctx.Done()
	return emb.Stop()
}

// Embedded is an agent running inside another vigil process.
type Embedded struct {
	agent  *agent.Agent
	cancel context.CancelFunc
	done   chan error
	spool  *spool.Spool
}

// Start runs the agent beside the caller (vigil dev --agent): spans go to
// w through a spool in dataDir/spool; metrics are registered on reg.
func Start(ctx context.Context, cfg config.Agent, dataDir string, w store.SpanWriter, filter func(*span.Span), reg prometheus.Registerer, stdout io.Writer, log *slog.Logger) (*Embedded, error) {
	sp, err := spool.New(filepath.Join(dataDir, "spool"), w, spool.Options{MaxBytes: cfg.SpoolMaxBytes}, log.With("component", "spool"))
	if err != nil {
		return nil, fmt.Errorf("opening the agent's spool: %w", err)
	}
	reg.MustRegister(sp.Collector("agent"))
	a, err := agent.New(agent.Options{Config: cfg, Sink: sp, Filter: filter, Registry: reg, Stdout: stdout, Log: log})
	if err != nil {
		_ = sp.Close()
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e := &Embedded{agent: a, cancel: cancel, done: make(chan error, 1), spool: sp}
	go sp.Run(runCtx)
	go func() { e.done <- a.Run(runCtx) }()
	return e, nil
}

// SpoolStats are the spool's counters (spans written to the store...).
func (e *Embedded) SpoolStats() spool.Stats { return e.spool.Stats() }

// Agent is the running agent.
func (e *Embedded) Agent() *agent.Agent { return e.agent }

// Stop ends capture, exports what is held and closes the spool (what the
// store has not taken stays on disk for the next start).
func (e *Embedded) Stop() error {
	e.cancel()
	err := <-e.done
	return errors.Join(err, e.spool.Close())
}

func serveMetrics(addr string, reg *prometheus.Registry, log *slog.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s for /metrics (change it with --listen): %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	log.Info("agent metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	return srv, nil
}
