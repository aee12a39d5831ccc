package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/vigil-dev/vigil/activities"
	"github.com/vigil-dev/vigil/internal/attach"
	"github.com/vigil-dev/vigil/internal/browser"
	"github.com/vigil-dev/vigil/internal/check"
	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/devserver"
	"github.com/vigil-dev/vigil/internal/metrics"
	"github.com/vigil-dev/vigil/internal/redact"
	"github.com/vigil-dev/vigil/internal/secrets"
	"github.com/vigil-dev/vigil/internal/store/sqlite"
	"github.com/vigil-dev/vigil/internal/web"
	"github.com/vigil-dev/vigil/workers"
)

// nodeOptions says which parts a process runs.
type nodeOptions struct {
	embedTemporal bool // start the embedded Temporal server
	api           bool // serve the HTTP API
	sync          bool // ensure the SyncMonitors schedule for cfg.Monitors
	extraSecrets  secrets.Source
}

// node is one running vigil process: server, store, workers and API.
type node struct {
	cfg     config.Config
	log     *slog.Logger
	server  *devserver.Server
	client  client.Client
	store   *sqlite.Store
	pools   *workers.Pools
	http    *http.Server
	apiAddr string
	metrics *metrics.Metrics
	attach  *attach.Store
	// redactor filters every result and span before it is stored.
	redactor *redact.Redactor
}

func startNode(ctx context.Context, cfg config.Config, log *slog.Logger, o nodeOptions) (n *node, err error) {
	n = &node{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			n.Close()
		}
	}()
	if n.redactor, err = redact.New(cfg.Redact); err != nil {
		return nil, fmt.Errorf("redaction rules: %w", err)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating data directory %s: %w", cfg.DataDir, err)
	}
	if cfg.Workers.Control {
		if n.store, err = sqlite.Open(ctx, filepath.Join(cfg.DataDir, "vigil.db"), sqlite.Options{Retention: cfg.Store.Retention}); err != nil {
			return nil, fmt.Errorf("opening the embedded store: %w", err)
		}
	}
	address := cfg.Temporal.Address
	if o.embedTemporal {
		uiPort := cfg.Temporal.UIPort
		if !cfg.Temporal.UI {
			uiPort = -1
		}
		n.server, err = devserver.Start(ctx, devserver.Options{
			FrontendPort:     cfg.Temporal.FrontendPort,
			UIPort:           uiPort,
			DatabaseFile:     filepath.Join(cfg.DataDir, "temporal.db"),
			Namespace:        cfg.Temporal.Namespace,
			SearchAttributes: workers.SearchAttributes,
			Logger:           log,
		})
		if err != nil {
			return nil, fmt.Errorf("starting the embedded Temporal server (ports %d and %d; change them with --temporal-port and --ui-port): %w",
				cfg.Temporal.FrontendPort, cfg.Temporal.UIPort, err)
		}
		address = n.server.FrontendAddr()
	}
	if n.client, err = dialTemporal(ctx, address, cfg.Temporal.Namespace, log); err != nil {
		return nil, err
	}
	if err := workers.EnsureSearchAttributes(ctx, n.client, cfg.Temporal.Namespace); err != nil {
		return nil, err
	}
	m := metrics.New()
	n.metrics = m
	if err := n.startWorkers(ctx, m, o); err != nil {
		return nil, err
	}
	if o.sync {
		in := contract.SyncInput{Source: absSource(cfg.Monitors.Source), Branch: cfg.Monitors.Branch}
		if err := workers.EnsureSyncSchedule(ctx, n.client, in, cfg.Monitors.SyncInterval, true); err != nil {
			return nil, err
		}
		if err := workers.EnsureEvaluateSchedule(ctx, n.client, contract.EvaluateInput{ReopenWindow: cfg.Alerts.ReopenWindow}, cfg.Alerts.EvaluateEvery); err != nil {
			return nil, err
		}
		if err := workers.EnsureAssembleSchedule(ctx, n.client, contract.AssembleInput{Window: cfg.Traces.Window, Grace: cfg.Traces.Grace}, cfg.Traces.AssembleEvery); err != nil {
			return nil, err
		}
	}
	if o.api {
		if err := n.startAPI(m); err != nil {
			return nil, err
		}
	}
	return n, nil
}

func (n *node) startWorkers(ctx context.Context, m *metrics.Metrics, o nodeOptions) error {
	cfg := n.cfg
	src, err := secretSource(cfg, o.extraSecrets)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	if n.attach, err = attach.Open(ctx, cfg.AttachmentsURL()); err != nil {
		return err
	}
	checks := workers.NewChecksWith(check.Options{Secrets: src, Hostname: host, Attachments: n.attach, Redact: n.redactor.Result,
		ChromiumPath:  cfg.Workers.ChromiumPath,
		BrowserLimits: browser.Limits{CPUs: cfg.Workers.BrowserCPUs, MemoryBytes: cfg.Workers.BrowserMemory}}, m, n.log)
	var control workers.Control
	if cfg.Workers.Control {
		control = workers.NewControl(n.store, n.client, filepath.Join(cfg.DataDir, "repos"), m, n.log)
		workers.AddAlerting(&control, n.store, n.client, workers.AlertingOptions{
			Links:   activities.AlertLinks{RunBaseURL: "http://" + cfg.Listen, TemporalUI: n.temporalUI(), Namespace: cfg.Temporal.Namespace},
			Secrets: src,
			Notify:  activities.NotifyOptions{SlackAPIURL: cfg.Alerts.SlackAPIURL},
		}, n.log)
		workers.AddTraces(&control, n.store, n.log)
	}
	n.pools, err = workers.Start(n.client, workers.Config{
		Control:            cfg.Workers.Control,
		ControlConcurrency: cfg.Workers.ControlConcurrency,
		Locations:          cfg.Workers.Locations,
		CheckConcurrency:   cfg.Workers.CheckConcurrency,
		BrowserConcurrency: cfg.Workers.BrowserConcurrency,
		BuildID:            version,
	}, control, checks, n.log)
	return err
}

func (n *node) startAPI(m *metrics.Metrics) error {
	deps := web.Deps{
		Schedules: web.TemporalSchedules{Client: n.client.ScheduleClient(), Prefix: contract.MonitorSchedulePrefix},
		Metrics:   m.Handler(),
		Namespace: n.cfg.Temporal.Namespace,
		Log:       n.log,
		Health: map[string]func(context.Context) error{
			"temporal": func(ctx context.Context) error {
				_, err := n.client.CheckHealth(ctx, &client.CheckHealthRequest{})
				return err
			},
		},
	}
	if n.attach != nil {
		deps.Attachments = n.attach
	}
	if n.store != nil {
		deps.Results, deps.Catalog, deps.Incidents, deps.Signaler = n.store, n.store, n.store, n.client
		deps.Traces = n.store
		deps.Health["store"] = func(ctx context.Context) error {
			_, err := n.store.LatestResults(ctx)
			return err
		}
	}
	deps.TemporalUI = n.temporalUI()
	ln, err := net.Listen("tcp", n.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listening for the API on %s (change it with --listen): %w", n.cfg.Listen, err)
	}
	n.apiAddr = ln.Addr().String()
	n.http = &http.Server{Handler: web.Handler(deps), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := n.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Error("API server stopped", "component", "web", "error", err)
		}
	}()
	return nil
}

// temporalUI is the base URL of the Temporal Web UI, when one is served.
func (n *node) temporalUI() string {
	if n.server != nil {
		return n.server.UIURL()
	}
	return n.cfg.Alerts.TemporalUIURL
}

// Close stops everything in the reverse order of start.
func (n *node) Close() {
	if n.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = n.http.Shutdown(ctx)
		cancel()
	}
	if n.pools != nil {
		n.pools.Stop()
	}
	if n.client != nil {
		n.client.Close()
	}
	if n.server != nil {
		n.server.Stop()
	}
	if n.attach != nil {
		_ = n.attach.Close()
	}
	if n.store != nil {
		if err := n.store.Close(); err != nil {
			n.log.Error("closing the store", "component", "store", "error", err)
		}
	}
}

func dialTemporal(ctx context.Context, address, namespace string, log *slog.Logger) (client.Client, error) {
	c, err := client.DialContext(ctx, workers.ClientOptions(address, namespace, quiet(log.With("component", "temporal-sdk"))))
	if err != nil {
		return nil, fmt.Errorf("connecting to Temporal at %s (namespace %s): %w", address, namespace, err)
	}
	return c, nil
}

// quiet drops the SDK's info logs, one line per worker poll start.
func quiet(l *slog.Logger) *slog.Logger {
	return slog.New(levelFilter{Handler: l.Handler(), min: slog.LevelWarn})
}

type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}

func (f levelFilter) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFilter{Handler: f.Handler.WithAttrs(a), min: f.min}
}

func (f levelFilter) WithGroup(name string) slog.Handler {
	return levelFilter{Handler: f.Handler.WithGroup(name), min: f.min}
}

func secretSource(cfg config.Config, extra secrets.Source) (secrets.Source, error) {
	sources := []secrets.Source{secrets.FromEnv(os.Environ())}
	if cfg.Secrets.File != "" {
		f, err := secrets.FromFile(cfg.Secrets.File)
		if err != nil {
			return nil, err
		}
		sources = append(sources, f)
	}
	if extra != nil {
		sources = append(sources, extra)
	}
	return secrets.Chain(sources...), nil
}

// absSource makes a local path absolute so every worker resolves it alike.
func absSource(s string) string {
	if st, err := os.Stat(s); err == nil && st.IsDir() {
		if abs, err := filepath.Abs(s); err == nil {
			return abs
		}
	}
	return s
}
