// Package devserver embeds a single-process Temporal server (frontend, history,
// matching and worker services) persisting to SQLite, plus the Temporal Web UI.
// It is the only package of vigil that imports go.temporal.io/server, so that
// binaries which do not need it (the node agent) stay small.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Options configures the embedded server.
type Options struct {
	// IP to bind every service on; loopback by default.
	IP string
	// FrontendPort is the gRPC port clients and workers use; 0 picks a free one.
	FrontendPort int
	// UIPort serves the Temporal Web UI; 0 picks a free one, -1 disables the UI.
	UIPort int
	// DatabaseFile is the SQLite file; empty keeps everything in memory.
	DatabaseFile string
	// Namespace is created at start when it does not exist.
	Namespace string
	// ExtraNamespaces are created too (tests isolate themselves in one each).
	ExtraNamespaces []string
	// SearchAttributes are registered on the namespaces when they are created.
	SearchAttributes map[string]enumspb.IndexedValueType
	Logger           *slog.Logger
	// HistoryShards is fixed when the database is created (default
	// DefaultHistoryShards); an existing database keeps its own count.
	HistoryShards int32
	// MaxConns bounds the SQLite connections of the server (default 1).
	MaxConns int
	// DynamicConfig overrides the server's dynamic configuration by key.
	DynamicConfig map[string]any
	// LogLevel filters the server's own (very chatty) logs; Warn by default.
	LogLevel slog.Level
}

// Server is a running embedded Temporal server.
type Server struct {
	server       temporal.Server
	ui           *uiserver.Server
	frontendAddr string
	uiAddr       string
	namespace    string
}

// FrontendAddr is the host:port of the gRPC frontend.
func (s *Server) FrontendAddr() string { return s.frontendAddr }

// UIURL is the URL of the Web UI, or "" when it is disabled.
func (s *Server) UIURL() string {
	if s.uiAddr == "" {
		return ""
	}
	return "http://" + s.uiAddr
}

// Namespace is the namespace created at start.
func (s *Server) Namespace() string { return s.namespace }

// Start builds and starts the server; it returns once the frontend accepts calls.
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.IP == "" {
		o.IP = "127.0.0.1"
	}
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.LogLevel == 0 {
		o.LogLevel = slog.LevelWarn
	}
	var err error
	if o.FrontendPort == 0 {
		if o.FrontendPort, err = freePort(o.IP); err != nil {
			return nil, err
		}
	}
	httpPort, err := freePort(o.IP)
	if err != nil {
		return nil, err
	}
	if o.HistoryShards, err = historyShards(o); err != nil {
		return nil, err
	}
	conf, err := serverConfig(o, httpPort)
	if err != nil {
		return nil, err
	}
	if err := prepareDatabase(o, conf); err != nil {
		return nil, err
	}
	logger := slogLogger{log: o.Logger.With("component", "temporal"), level: o.LogLevel}
	authorizer, err := authorization.GetAuthorizerFromConfig(&conf.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("temporal authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&conf.Global.Authorization, logger)
	if err != nil {
		return nil, fmt.Errorf("temporal claim mapper: %w", err)
	}
	hosts := map[primitives.ServiceName]static.Hosts{}
	for name, svc := range conf.Services {
		hosts[primitives.ServiceName(name)] = static.SingleLocalHost(net.JoinHostPort(o.IP, strconv.Itoa(svc.RPC.GRPCPort)))
	}
	dyn := dynamicconfig.StaticClient{
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 500,
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key():                 8192,
		// Schedules fire from the per-namespace scheduler; keep its rate high
		// enough for thousands of monitors on one machine.
		dynamicconfig.SchedulerNamespaceStartWorkflowRPS.Key():      1000.0,
		dynamicconfig.FrontendMaxNamespaceRPSPerInstance.Key():      10000,
		dynamicconfig.FrontendRPS.Key():                             10000,
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): true,
		// New timers are pushed at least this far into the future (a guard
		// for clock skew between hosts). One process has no skew, and the
		// default 1s delays every schedule firing by up to a second.
		dynamicconfig.TimerProcessorMaxTimeShift.Key(): 20 * time.Millisecond,
	}
	for k, v := range o.DynamicConfig {
		dyn[dynamicconfig.MakeKey(k)] = v
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dyn),
	)
	if err != nil {
		return nil, fmt.Errorf("building temporal server: %w", err)
	}
	s := &Server{server: srv, frontendAddr: net.JoinHostPort(o.IP, strconv.Itoa(o.FrontendPort)), namespace: o.Namespace}
	if o.UIPort >= 0 {
		if o.UIPort == 0 {
			if o.UIPort, err = freePort(o.IP); err != nil {
				return nil, err
			}
		}
		s.uiAddr = net.JoinHostPort(o.IP, strconv.Itoa(o.UIPort))
		s.ui = uiserver.NewServer(uioptions.WithConfigProvider(&uiconfig.Config{
			Host:                o.IP,
			Port:                o.UIPort,
			TemporalGRPCAddress: s.frontendAddr,
			EnableUI:            true,
			CORS:                uiconfig.CORS{CookieInsecure: true},
			HideLogs:            true,
			DisableNewsFetch:    true,
			DefaultNamespace:    o.Namespace,
		}))
		go func() {
			// ui.Start blocks until Stop; an error here (port taken) must not
			// take the whole process down, the UI is a convenience.
			if err := s.ui.Start(); err != nil && !errors.Is(err, context.Canceled) {
				o.Logger.Error("temporal web UI stopped", "component", "temporal-ui", "error", err)
			}
		}()
	}
	if err := srv.Start(); err != nil {
		if s.ui != nil {
			s.ui.Stop()
		}
		return nil, fmt.Errorf("starting temporal server: %w", err)
	}
	return s, nil
}

// Stop stops the UI and the server.
func (s *Server) Stop() {
	if s.ui != nil {
		s.ui.Stop()
	}
	_ = s.server.Stop()
}

func serverConfig(o Options, httpPort int) (*config.Config, error) {
	sqlConf := &config.SQL{PluginName: sqliteplugin.PluginName}
	if o.DatabaseFile == "" {
		sqlConf.ConnectAttributes = map[string]string{"mode": "memory", "cache": "shared"}
		sqlConf.DatabaseName = "vigil-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	} else {
		// WAL with synchronous=NORMAL: one fsync per checkpoint instead of
		// several per commit, which is what makes schedules and runs fast on
		// a file; a crash of the machine may lose the last commits, not
		// corrupt the file.
		sqlConf.ConnectAttributes = map[string]string{"mode": "rwc", "journal_mode": "wal", "synchronous": "normal", "busy_timeout": "10000"}
		sqlConf.DatabaseName = o.DatabaseFile
	}
	const clusterName = "active"
	var conf config.Config
	conf.Global.Membership.MaxJoinDuration = 30 * time.Second
	conf.Global.Membership.BroadcastAddress = o.IP
	conf.Persistence.DefaultStore = "sqlite"
	conf.Persistence.VisibilityStore = "sqlite"
	conf.Persistence.NumHistoryShards = max(o.HistoryShards, 1)
	if o.MaxConns > 1 && o.DatabaseFile != "" {
		sqlConf.MaxConns, sqlConf.MaxIdleConns = o.MaxConns, o.MaxConns
	}
	conf.Persistence.DataStores = map[string]config.DataStore{"sqlite": {SQL: sqlConf}}
	frontend := net.JoinHostPort(o.IP, strconv.Itoa(o.FrontendPort))
	conf.ClusterMetadata = &cluster.Config{
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{clusterName: {
			Enabled:                true,
			InitialFailoverVersion: 1,
			RPCAddress:             frontend,
			HTTPAddress:            net.JoinHostPort(o.IP, strconv.Itoa(httpPort)),
			ClusterID:              "vigil-dev",
		}},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	conf.Services = map[string]config.Service{}
	for _, name := range []string{"frontend", "history", "matching", "worker"} {
		var svc config.Service
		svc.RPC.BindOnIP = o.IP
		if name == "frontend" {
			svc.RPC.GRPCPort = o.FrontendPort
			svc.RPC.HTTPPort = httpPort
		} else {
			p, err := freePort(o.IP)
			if err != nil {
				return nil, err
			}
			svc.RPC.GRPCPort = p
		}
		conf.Services[name] = svc
	}
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	conf.PublicClient.HostPort = frontend
	return &conf, nil
}

// prepareDatabase creates the schema on first start and the namespace when it
// is missing; an existing file keeps its schedules and histories.
func prepareDatabase(o Options, conf *config.Config) error {
	sqlConf := conf.Persistence.DataStores["sqlite"].SQL
	if o.DatabaseFile != "" {
		if err := os.MkdirAll(filepath.Dir(o.DatabaseFile), 0o755); err != nil {
			return fmt.Errorf("creating directory for temporal database: %w", err)
		}
		if _, err := os.Stat(o.DatabaseFile); errors.Is(err, os.ErrNotExist) {
			if err := sqliteschema.SetupSchema(sqlConf); err != nil {
				return fmt.Errorf("creating temporal schema in %s: %w", o.DatabaseFile, err)
			}
		}
	}
	// An in-memory database gets its schema from the sqlite plugin itself.
	for _, name := range append([]string{o.Namespace}, o.ExtraNamespaces...) {
		ns, err := sqliteschema.NewNamespaceConfig("active", name, false, o.SearchAttributes)
		if err != nil {
			return fmt.Errorf("namespace %s: %w", name, err)
		}
		ns.Detail.Config.Retention = durationpb.New(7 * 24 * time.Hour)
		if err := sqliteschema.CreateNamespaces(sqlConf, ns); err != nil {
			return fmt.Errorf("creating namespace %s: %w", name, err)
		}
	}
	return nil
}

// DefaultHistoryShards lets the history service work on several workflows
// at once; with one shard, a thousand monitors queue behind each other.
const DefaultHistoryShards = 4

// historyShards returns the shard count of the database: the one recorded
// beside an existing file (1 when none is, as the first versions used), or
// the configured one for a new file, recorded for the next start.
func historyShards(o Options) (int32, error) {
	want := o.HistoryShards
	if want <= 0 {
		want = DefaultHistoryShards
	}
	if o.DatabaseFile == "" {
		return want, nil
	}
	sidecar := o.DatabaseFile + ".shards"
	if _, err := os.Stat(o.DatabaseFile); err == nil {
		b, err := os.ReadFile(sidecar)
		if errors.Is(err, os.ErrNotExist) {
			return 1, nil
		}
		if err != nil {
			return 0, fmt.Errorf("reading history shard count: %w", err)
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || n < 1 {
			return 0, fmt.Errorf("history shard count in %s is not a positive number: %q", sidecar, b)
		}
		return int32(n), nil
	}
	if err := os.MkdirAll(filepath.Dir(o.DatabaseFile), 0o755); err != nil {
		return 0, fmt.Errorf("creating directory for temporal database: %w", err)
	}
	if err := os.WriteFile(sidecar, []byte(strconv.Itoa(int(want))+"\n"), 0o644); err != nil {
		return 0, fmt.Errorf("recording history shard count: %w", err)
	}
	return want, nil
}

// freePort finds a port the server can bind a moment later. It is chosen
// below Linux's ephemeral range (32768-60999): a port the kernel hands out
// for ":0" or an outgoing connection could be taken again between this check
// and the server's own bind, which made the embedded server fail to start
// now and then when tests ran in parallel.
func freePort(ip string) (int, error) {
	for range 100 {
		port := 10000 + rand.IntN(22000)
		l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err == nil {
			_ = l.Close()
			return port, nil
		}
	}
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, fmt.Errorf("finding a free port on %s: %w", ip, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
