package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "vigil.yaml")
	if err := os.WriteFile(file, []byte("data_dir: /from/file\nlisten: 127.0.0.1:9000\nworkers:\n  check_concurrency: 7\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(file, []string{"VIGIL_LISTEN=127.0.0.1:9100", "VIGIL_LOCATIONS=a, b", "PATH=/bin"})
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/from/file" {
		t.Errorf("data dir from file: got %q", c.DataDir)
	}
	if c.Listen != "127.0.0.1:9100" {
		t.Errorf("environment must override the file: got %q", c.Listen)
	}
	if c.Workers.CheckConcurrency != 7 || c.Workers.ControlConcurrency != 200 {
		t.Errorf("file value and default: got %d, %d", c.Workers.CheckConcurrency, c.Workers.ControlConcurrency)
	}
	if strings.Join(c.Workers.Locations, ",") != "a,b" {
		t.Errorf("locations: got %v", c.Workers.Locations)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("valid config rejected: %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("data_dirr: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		env        []string
		want       string
	}{
		{"unknown field in file", bad, nil, "field data_dirr not found"},
		{"missing file", filepath.Join(dir, "nope.yaml"), nil, "reading config file"},
		{"bad duration in env", "", []string{"VIGIL_SYNC_INTERVAL=soon"}, "VIGIL_SYNC_INTERVAL"},
		{"bad number in env", "", []string{"VIGIL_CHECK_CONCURRENCY=many"}, "VIGIL_CHECK_CONCURRENCY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.path, tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("want error containing %q, got %v", tt.want, err)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"empty data dir", func(c *Config) { c.DataDir = "" }, "data_dir"},
		{"listen without port", func(c *Config) { c.Listen = "localhost" }, "host:port"},
		{"log level", func(c *Config) { c.LogLevel = "loud" }, "log_level"},
		{"sync too often", func(c *Config) { c.Monitors.SyncInterval = time.Millisecond }, "sync_interval"},
		{"zero concurrency", func(c *Config) { c.Workers.CheckConcurrency = 0 }, "check_concurrency"},
		{"bad location", func(c *Config) { c.Workers.Locations = []string{"a/b"} }, "location"},
		{"assemble too often", func(c *Config) { c.Traces.AssembleEvery = time.Millisecond }, "traces.assemble_every"},
		{"tiny trace window", func(c *Config) { c.Traces.Window = time.Millisecond }, "traces.window"},
		{"no grace", func(c *Config) { c.Traces.Grace = 0 }, "traces.grace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.mutate(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("want error containing %q, got %v", tt.want, err)
			}
		})
	}
	if err := Default().Validate(); err != nil {
		t.Fatalf("defaults must be valid: %v", err)
	}
}

func TestTracesFromFileAndEnv(t *testing.T) {
	file := filepath.Join(t.TempDir(), "vigil.yaml")
	if err := os.WriteFile(file, []byte("traces:\n  window: 5s\n  grace: 2m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(file, []string{"VIGIL_TRACES_GRACE=90s", "VIGIL_TRACES_ASSEMBLE_EVERY=20s"})
	if err != nil {
		t.Fatal(err)
	}
	want := Traces{AssembleEvery: 20 * time.Second, Window: 5 * time.Second, Grace: 90 * time.Second}
	if c.Traces != want {
		t.Errorf("traces: got %+v, want %+v", c.Traces, want)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("valid config rejected: %v", err)
	}
}

func TestValidateAgent(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Agent)
		want   string
	}{
		{"capture too large", func(a *Agent) { a.CaptureBytes = 1 << 20 }, "agent.capture_bytes"},
		{"ring not a power of two", func(a *Agent) { a.RingBufferBytes = 3 << 20 }, "agent.ring_buffer_bytes"},
		{"wakeup beyond half the smallest sized ring", func(a *Agent) { a.WakeupBytes = 5 << 20 }, "agent.wakeup_bytes"},
		{"wakeup beyond half the ring set", func(a *Agent) { a.RingBufferBytes, a.WakeupBytes = 1<<16, 1<<16 }, "agent.wakeup_bytes"},
		{"export queue below one batch", func(a *Agent) { a.ExportQueueSpans = a.BatchSize - 1 }, "agent.export_queue_spans"},
		{"unknown hooks", func(a *Agent) { a.Hooks = "kprobe" }, "agent.hooks"},
		{"no RED series", func(a *Agent) { a.REDMaxSeries = 0 }, "agent.red_max_series"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := DefaultAgent()
			tt.mutate(&a)
			err := a.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("want error containing %q, got %v", tt.want, err)
			}
		})
	}
	if err := DefaultAgent().Validate(); err != nil {
		t.Fatalf("the agent's defaults must be valid: %v", err)
	}
}

func TestRingBytes(t *testing.T) {
	for _, tt := range []struct {
		name      string
		set, cpus int
		want      int
	}{
		{"one CPU: the floor", 0, 1, 8 << 20},
		{"two CPUs", 0, 2, 8 << 20},
		{"three CPUs round up", 0, 3, 16 << 20},
		{"sixteen CPUs", 0, 16, 64 << 20},
		{"many CPUs: the ceiling", 0, 256, 64 << 20},
		{"set wins", 1 << 20, 64, 1 << 20},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := DefaultAgent()
			a.RingBufferBytes = tt.set
			if got := a.RingBytes(tt.cpus); got != tt.want {
				t.Errorf("RingBytes(%d) with ring_buffer_bytes %d = %d, want %d", tt.cpus, tt.set, got, tt.want)
			}
		})
	}
}
