package main

import (
	"context"
	"fmt"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/vigil-dev/vigil/agent/agentcli"
	"github.com/vigil-dev/vigil/internal/config"
)

// serverFlags are the flags of the commands that run workers.
func addWorkerFlags(f *pflag.FlagSet) {
	d := config.Default()
	f.String("data-dir", d.DataDir, "directory of the embedded store, the Temporal database and git caches")
	f.String("temporal", "", "host:port of an existing Temporal frontend (dev: instead of the embedded server)")
	f.String("namespace", d.Temporal.Namespace, "Temporal namespace")
	f.StringSlice("location", d.Workers.Locations, "locations (check task queues) this process serves; repeatable")
	f.Int("check-concurrency", d.Workers.CheckConcurrency, "concurrent checks per location")
	f.Int("browser-concurrency", d.Workers.BrowserConcurrency, "browsers (one per journey) run at once per location; 0: no browser queue")
	f.Int("control-concurrency", d.Workers.ControlConcurrency, "concurrent workflow tasks and store/sync activities")
	f.String("secrets-file", "", "YAML file of secrets (NAME: value), besides VIGIL_SECRET_NAME variables")
	f.String("monitors", d.Monitors.Source, "monitors repository: git URL or local path")
	f.String("branch", "", "branch of the monitors repository (default: its default branch)")
	f.Duration("sync-interval", d.Monitors.SyncInterval, "how often SyncMonitors runs")
	f.String("listen", d.Listen, "address of the HTTP API (/healthz, /metrics, /api/...)")
	f.String("log-level", d.LogLevel, "debug, info, warn or error")
	f.String("log-format", d.LogFormat, "text or json")
}

func applyWorkerFlags(c *config.Config, f *pflag.FlagSet) {
	setIf(f, "data-dir", &c.DataDir, f.GetString)
	setIf(f, "temporal", &c.Temporal.Address, f.GetString)
	setIf(f, "namespace", &c.Temporal.Namespace, f.GetString)
	setIf(f, "location", &c.Workers.Locations, f.GetStringSlice)
	setIf(f, "check-concurrency", &c.Workers.CheckConcurrency, f.GetInt)
	setIf(f, "browser-concurrency", &c.Workers.BrowserConcurrency, f.GetInt)
	setIf(f, "control-concurrency", &c.Workers.ControlConcurrency, f.GetInt)
	setIf(f, "secrets-file", &c.Secrets.File, f.GetString)
	setIf(f, "monitors", &c.Monitors.Source, f.GetString)
	setIf(f, "branch", &c.Monitors.Branch, f.GetString)
	setIf(f, "sync-interval", &c.Monitors.SyncInterval, f.GetDuration)
	setIf(f, "listen", &c.Listen, f.GetString)
	setIf(f, "log-level", &c.LogLevel, f.GetString)
	setIf(f, "log-format", &c.LogFormat, f.GetString)
}

func newDevCmd(g *globalOpts) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run everything on this machine: Temporal server and UI, workers, store, API, monitors sync",
		Long: `vigil dev starts, in one process, an embedded Temporal server persisting to
SQLite under --data-dir with its Web UI, the worker pools, the embedded store,
the HTTP API, and the SyncMonitors schedule for --monitors. With --temporal it
uses an existing Temporal cluster instead of the embedded server. With --demo
it also runs the demo application the example monitors watch.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig(cmd.Flags(), func(c *config.Config, f *pflag.FlagSet) {
				applyWorkerFlags(c, f)
				setIf(f, "temporal-port", &c.Temporal.FrontendPort, f.GetInt)
				setIf(f, "ui-port", &c.Temporal.UIPort, f.GetInt)
				setIf(f, "ui", &c.Temporal.UI, f.GetBool)
				setIf(f, "demo", &c.Demo.Enabled, f.GetBool)
				setIf(f, "demo-listen", &c.Demo.Listen, f.GetString)
				setIf(f, "agent", &c.Agent.Enabled, f.GetBool)
				c.Workers.Control = true
			})
			if err != nil {
				return err
			}
			return runDev(cmd.Context(), g, cfg)
		},
	}
	addWorkerFlags(cmd.Flags())
	d := config.Default()
	cmd.Flags().Int("temporal-port", d.Temporal.FrontendPort, "gRPC port of the embedded Temporal server (0: any free port)")
	cmd.Flags().Int("ui-port", d.Temporal.UIPort, "port of the embedded Temporal Web UI (0: any free port)")
	cmd.Flags().Bool("ui", d.Temporal.UI, "serve the Temporal Web UI")
	cmd.Flags().Bool("demo", false, "also run the demo application (examples/demo-app) the example monitors watch")
	cmd.Flags().String("demo-listen", d.Demo.Listen, "address of the demo application")
	cmd.Flags().Bool("agent", false, "also run the eBPF node agent (needs root) and store its spans; configure it in the agent: section")
	return cmd
}

func runDev(ctx context.Context, g *globalOpts, cfg config.Config) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log := newLogger(cfg, g.stderr)
	opts := nodeOptions{embedTemporal: cfg.Temporal.Address == "", api: true, sync: true}
	var demoURL string
	if cfg.Demo.Enabled {
		url, src, stopDemo, err := startDemo(ctx, cfg.Demo.Listen, log)
		if err != nil {
			return err
		}
		defer stopDemo()
		demoURL, opts.extraSecrets = url, src
	}
	n, err := startNode(ctx, cfg, log, opts)
	if err != nil {
		return err
	}
	defer n.Close()
	if cfg.Agent.Enabled {
		if err := cfg.Agent.Validate(); err != nil {
			return fmt.Errorf("invalid agent configuration:\n%w", err)
		}
		// The demo app and the checks run in this process: trace it too (spans
		// go to the local store, so nothing feeds back).
		cfg.Agent.TraceSelf = true
		emb, err := agentcli.Start(ctx, cfg.Agent, cfg.DataDir, n.store, n.redactor.Span, n.metrics.Registry(), nil, log)
		if err != nil {
			return fmt.Errorf("starting the agent (--agent needs root): %w", err)
		}
		defer emb.Stop()
	}
	in, err := startIngest(ctx, cfg, n.store, n.redactor, n.metrics.Registry(), nil, log)
	if err != nil {
		return err
	}
	defer func() { _ = in.Stop() }()
	fmt.Fprintf(g.stdout, "vigil %s is running (data in %s)\n", version, cfg.DataDir)
	if n.server != nil {
		fmt.Fprintf(g.stdout, "  Temporal frontend  %s (namespace %s)\n", n.server.FrontendAddr(), cfg.Temporal.Namespace)
		if ui := n.server.UIURL(); ui != "" {
			fmt.Fprintf(g.stdout, "  Temporal UI        %s/namespaces/%s/schedules\n", ui, cfg.Temporal.Namespace)
		}
	} else {
		fmt.Fprintf(g.stdout, "  Temporal frontend  %s (namespace %s, external)\n", cfg.Temporal.Address, cfg.Temporal.Namespace)
	}
	fmt.Fprintf(g.stdout, "  API                http://%s/api/monitors\n", n.apiAddr)
	fmt.Fprintf(g.stdout, "  Metrics            http://%s/metrics\n", n.apiAddr)
	fmt.Fprintf(g.stdout, "  Monitors           %s (synced every %s)\n", absSource(cfg.Monitors.Source), cfg.Monitors.SyncInterval)
	if demoURL != "" {
		fmt.Fprintf(g.stdout, "  Demo app           %s\n", demoURL)
	}
	if cfg.Agent.Enabled {
		fmt.Fprintf(g.stdout, "  Agent              tracing HTTP of this machine's processes (vigil spans list)\n")
	}
	printIngest(g.stdout, in)
	fmt.Fprintln(g.stdout, "Press Ctrl-C to stop.")
	<-ctx.Done()
	fmt.Fprintln(g.stdout, "stopping...")
	return nil
}
