// Package config holds vigil's configuration: defaults, then a YAML file,
// then VIGIL_* environment variables, then command-line flags, validated once.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vigil-dev/vigil/internal/redact"
)

// Config is the whole configuration; each subcommand uses its part.
type Config struct {
	DataDir   string   `yaml:"data_dir"`
	Listen    string   `yaml:"listen"`
	LogLevel  string   `yaml:"log_level"`
	LogFormat string   `yaml:"log_format"`
	Temporal  Temporal `yaml:"temporal"`
	Monitors  Monitors `yaml:"monitors"`
	Workers   Workers  `yaml:"workers"`
	Secrets   Secrets  `yaml:"secrets"`
	Store     Store    `yaml:"store"`
	Demo      Demo     `yaml:"demo"`
	Agent     Agent    `yaml:"agent"`
	Ingest    Ingest   `yaml:"ingest"`
	Alerts    Alerts   `yaml:"alerts"`
	Traces    Traces   `yaml:"traces"`
	// Redact filters what every input (agent, datagrams, OTLP, monitor
	// results) stores: its rules add to the built-in ones.
	Redact redact.Config `yaml:"redact"`
}

// Temporal says which server to use; an empty Address embeds one.
type Temporal struct {
	Address   string `yaml:"address"`
	Namespace string `yaml:"namespace"`
	// FrontendPort and UIPort of the embedded server (0: 7233 and 8233).
	FrontendPort int  `yaml:"frontend_port"`
	UIPort       int  `yaml:"ui_port"`
	UI           bool `yaml:"ui"`
}

// Monitors names the repository of monitor definitions.
type Monitors struct {
	Source       string        `yaml:"source"`
	Branch       string        `yaml:"branch"`
	SyncInterval time.Duration `yaml:"sync_interval"`
}

// Workers sizes the worker pools.
type Workers struct {
	Control            bool `yaml:"control"`
	ControlConcurrency int  `yaml:"control_concurrency"`
	CheckConcurrency   int  `yaml:"check_concurrency"`
	// BrowserConcurrency is the number of browsers (one per journey) a
	// worker hosts per location.
	BrowserConcurrency int `yaml:"browser_concurrency"`
	// BrowserCPUs and BrowserMemory fix each browser's resources (its own
	// cgroup) so timings compare from run to run; 0 leaves one unlimited.
	BrowserCPUs   float64 `yaml:"browser_cpus"`
	BrowserMemory int64   `yaml:"browser_memory_bytes"`
	// ChromiumPath is the browser journeys run (default: Debian's
	// chromium-headless-shell, else chromium).
	ChromiumPath string   `yaml:"chromium_path"`
	Locations    []string `yaml:"locations"`
}

// Secrets says where secrets come from besides VIGIL_SECRET_* variables.
type Secrets struct {
	File string `yaml:"file"`
}

// Store tunes the embedded store.
type Store struct {
	Retention time.Duration `yaml:"retention"`
	// Attachments is the blob bucket of browser runs' files (a gocloud
	// URL or a directory); empty means <data_dir>/attachments.
	Attachments string `yaml:"attachments"`
}

// AttachmentsURL is where attachments are kept.
func (c Config) AttachmentsURL() string {
	if c.Store.Attachments != "" {
		return c.Store.Attachments
	}
	return filepath.Join(c.DataDir, "attachments")
}

// Alerts configures the listener: how often the rules are evaluated and
// where notifications go (the rules themselves are in the monitors
// repository, alerts/*.yaml).
type Alerts struct {
	EvaluateEvery time.Duration `yaml:"evaluate_every"`
	// ReopenWindow: a group firing again this soon after its incident
	// resolved reopens it (one message, updated) instead of paging again.
	ReopenWindow time.Duration `yaml:"reopen_window"`
	// SlackAPIURL replaces https://slack.com/api/ (an egress proxy).
	SlackAPIURL string `yaml:"slack_api_url"`
	// TemporalUIURL links notifications to workflows when the Temporal UI
	// is not the embedded one.
	TemporalUIURL string `yaml:"temporal_ui_url"`
}

// Demo runs the demo application beside vigil.
type Demo struct {
	Enabled bool   `yaml:"enabled"`
	Listen  string `yaml:"listen"`
}

// Default is the configuration of `vigil dev` on one machine.
func Default() Config {
	return Config{
		DataDir:   ".vigil",
		Listen:    "127.0.0.1:8080",
		LogLevel:  "info",
		LogFormat: "text",
		Temporal:  Temporal{Namespace: "default", FrontendPort: 7233, UIPort: 8233, UI: true},
		Monitors:  Monitors{Source: "examples/monitors", SyncInterval: 10 * time.Second},
		Workers:   Workers{Control: true, ControlConcurrency: 200, CheckConcurrency: 100, BrowserConcurrency: 2, BrowserCPUs: 1, BrowserMemory: 1 << 30, Locations: []string{"local"}},
		Store:     Store{Retention: 30 * 24 * time.Hour},
		Demo:      Demo{Listen: "127.0.0.1:8081"},
		Agent:     DefaultAgent(),
		Ingest:    DefaultIngest(),
		Alerts:    Alerts{EvaluateEvery: 10 * time.Second, ReopenWindow: 10 * time.Minute},
		Traces:    DefaultTraces(),
		Redact:    redact.Default(),
	}
}

// Load applies the file (when path is not empty) and the environment over
// the defaults. Flags are applied by the caller, then Validate.
func Load(path string, environ []string) (Config, error) {
	c := Default()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("reading config file: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) { // an empty file is fine
			return c, fmt.Errorf("config file %s: %w", path, err)
		}
	}
	if err := applyEnv(&c, environ); err != nil {
		return c, err
	}
	return c, nil
}

// envVars maps each VIGIL_* variable to the field it sets.
func envVars(c *Config) map[string]func(string) error {
	str := func(p *string) func(string) error { return func(v string) error { *p = v; return nil } }
	num := func(p *int) func(string) error {
		return func(v string) error {
			n, err := strconv.Atoi(v)
			*p = n
			return err
		}
	}
	dur := func(p *time.Duration) func(string) error {
		return func(v string) error {
			d, err := time.ParseDuration(v)
			*p = d
			return err
		}
	}
	boolean := func(p *bool) func(string) error {
		return func(v string) error {
			b, err := strconv.ParseBool(v)
			*p = b
			return err
		}
	}
	return map[string]func(string) error{
		"VIGIL_DATA_DIR":            str(&c.DataDir),
		"VIGIL_LISTEN":              str(&c.Listen),
		"VIGIL_LOG_LEVEL":           str(&c.LogLevel),
		"VIGIL_LOG_FORMAT":          str(&c.LogFormat),
		"VIGIL_TEMPORAL_ADDRESS":    str(&c.Temporal.Address),
		"VIGIL_TEMPORAL_NAMESPACE":  str(&c.Temporal.Namespace),
		"VIGIL_TEMPORAL_UI_PORT":    num(&c.Temporal.UIPort),
		"VIGIL_MONITORS":            str(&c.Monitors.Source),
		"VIGIL_BRANCH":              str(&c.Monitors.Branch),
		"VIGIL_SYNC_INTERVAL":       dur(&c.Monitors.SyncInterval),
		"VIGIL_CONTROL":             boolean(&c.Workers.Control),
		"VIGIL_CONTROL_CONCURRENCY": num(&c.Workers.ControlConcurrency),
		"VIGIL_CHECK_CONCURRENCY":   num(&c.Workers.CheckConcurrency),
		"VIGIL_BROWSER_CONCURRENCY": num(&c.Workers.BrowserConcurrency),
		"VIGIL_CHROMIUM_PATH":       str(&c.Workers.ChromiumPath),
		"VIGIL_BROWSER_CPUS": func(v string) (err error) {
			c.Workers.BrowserCPUs, err = strconv.ParseFloat(v, 64)
			return err
		},
		"VIGIL_BROWSER_MEMORY_BYTES": func(v string) (err error) {
			c.Workers.BrowserMemory, err = strconv.ParseInt(v, 10, 64)
			return err
		},
		"VIGIL_LOCATIONS": func(v string) error {
			c.Workers.Locations = SplitList(v)
			return nil
		},
		"VIGIL_SECRETS_FILE":    str(&c.Secrets.File),
		"VIGIL_STORE_RETENTION": dur(&c.Store.Retention),
		"VIGIL_ATTACHMENTS":     str(&c.Store.Attachments),
		"VIGIL_SLACK_API_URL":   str(&c.Alerts.SlackAPIURL),
		"VIGIL_EVALUATE_EVERY":  dur(&c.Alerts.EvaluateEvery),
	}
}

func applyEnv(c *Config, environ []string) error {
	vars := envVars(c)
	for k, set := range ingestEnv(&c.Ingest) {
		vars[k] = set
	}
	for k, set := range agentEnv(&c.Agent) {
		vars[k] = set
	}
	for k, set := range tracesEnv(&c.Traces) {
		vars[k] = set
	}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		set, known := vars[k]
		if !known {
			continue
		}
		if err := set(v); err != nil {
			return fmt.Errorf("environment variable %s=%q: %w", k, v, err)
		}
	}
	return nil
}

// SplitList splits a comma-separated list, dropping empty items.
func SplitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("data_dir (--data-dir) must not be empty"))
	}
	if c.Listen != "" && !strings.Contains(c.Listen, ":") {
		errs = append(errs, fmt.Errorf("listen (--listen) %q must be host:port", c.Listen))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log_level %q must be debug, info, warn or error", c.LogLevel))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("log_format %q must be text or json", c.LogFormat))
	}
	if c.Temporal.Namespace == "" {
		errs = append(errs, errors.New("temporal.namespace must not be empty"))
	}
	if c.Monitors.SyncInterval < time.Second {
		errs = append(errs, fmt.Errorf("monitors.sync_interval %s must be at least 1s", c.Monitors.SyncInterval))
	}
	if c.Workers.BrowserCPUs < 0 || c.Workers.BrowserMemory < 0 || (c.Workers.BrowserMemory > 0 && c.Workers.BrowserMemory < 128<<20) {
		errs = append(errs, fmt.Errorf("workers.browser_cpus must not be negative and workers.browser_memory_bytes must be 0 or at least 128 MiB"))
	}
	if c.Workers.BrowserConcurrency < 0 || c.Workers.BrowserConcurrency > 64 {
		errs = append(errs, fmt.Errorf("workers.browser_concurrency %d must be between 0 and 64", c.Workers.BrowserConcurrency))
	}
	if c.Workers.ControlConcurrency < 1 || c.Workers.CheckConcurrency < 1 {
		errs = append(errs, errors.New("workers.control_concurrency and workers.check_concurrency must be at least 1"))
	}
	for _, l := range c.Workers.Locations {
		if strings.ContainsAny(l, " /\t") {
			errs = append(errs, fmt.Errorf("location %q must not contain spaces or slashes", l))
		}
	}
	if c.Store.Retention < 0 {
		errs = append(errs, errors.New("store.retention must not be negative"))
	}
	if c.Alerts.EvaluateEvery < time.Second {
		errs = append(errs, fmt.Errorf("alerts.evaluate_every %s must be at least 1s", c.Alerts.EvaluateEvery))
	}
	if c.Alerts.ReopenWindow < 0 {
		errs = append(errs, errors.New("alerts.reopen_window must not be negative"))
	}
	if err := c.Traces.validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Redact.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("redact: %w", err))
	}
	return errors.Join(errs...)
}
