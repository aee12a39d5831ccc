package config

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Agent configures the node agent (`vigil agent`, `vigil-agent`, and
// `vigil dev --agent`).
type Agent struct {
	// Enabled runs the agent inside `vigil dev` (--agent).
	Enabled bool `yaml:"enabled"`
	// What is traced: a process matching PIDs or Cgroups (none: every
	// process but the agent), on a connection whose local or peer port is
	// in Ports (none: every port).
	PIDs    []int    `yaml:"pids"`
	Cgroups []string `yaml:"cgroups"`
	Ports   []int    `yaml:"ports"`
	// CaptureBytes is copied from each syscall's buffer (at most 16384).
	CaptureBytes int `yaml:"capture_bytes"`
	// RingBufferBytes sizes the kernel ring buffer (a power of two); 0
	// sizes it by the node's CPUs (RingBytes).
	RingBufferBytes int `yaml:"ring_buffer_bytes"`
	// WakeupBytes batches wakeups: the reader is woken once this much is
	// queued, and otherwise polls every FlushInterval while events flow,
	// backing off to BatchInterval while none come.
	WakeupBytes   int           `yaml:"wakeup_bytes"`
	FlushInterval time.Duration `yaml:"flush_interval"`
	// Spans go to the store in batches of BatchSize or every BatchInterval.
	BatchSize     int           `yaml:"batch_size"`
	BatchInterval time.Duration `yaml:"batch_interval"`
	// ExportQueueSpans bounds the spans built but not yet taken by the
	// store or spool (about 1 KB each in memory): beyond it, while the
	// store falls behind, new batches are dropped and counted rather than
	// the agent's memory growing.
	ExportQueueSpans int `yaml:"export_queue_spans"`
	// REDMaxSeries bounds the RED histogram series with a peer of their
	// own; beyond it new peers are counted under "other".
	REDMaxSeries int `yaml:"red_max_series"`
	// SpoolMaxBytes bounds the on-disk spool that holds spans while the
	// store is unreachable.
	SpoolMaxBytes int64 `yaml:"spool_max_bytes"`
	// ServiceName, when set, names every traced process's service.
	ServiceName string `yaml:"service_name"`
	// Services name services by executable, process name or container.
	Services []ServiceRule `yaml:"services"`
	// Node is service.node.name (default: the hostname).
	Node string `yaml:"node"`
	// ProcRoot is where processes are read (the host's /proc in a pod).
	ProcRoot string `yaml:"proc_root"`
	// TraceSelf also traces the agent's own process. `vigil dev --agent`
	// sets it so the in-process demo app and checks are traced; never with
	// a store reached over the network, whose traffic would feed back.
	TraceSelf bool `yaml:"trace_self"`
	// Listen serves /metrics and /healthz of a standalone agent.
	Listen string `yaml:"listen"`
	// IdleTimeout ends connections silent for this long.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// Hooks chooses where socket I/O is observed: "socket" (the socket
	// layer's tracepoints, kernel 6.3+: other syscalls pay nothing),
	// "syscall" (the syscall-exit raw tracepoint, kernel 5.8+), or "auto"
	// (socket where the kernel has it).
	Hooks string `yaml:"hooks"`
}

// ServiceRule names the service of matching processes; see agent.ServiceRule.
type ServiceRule struct {
	Name      string `yaml:"name"`
	Exe       string `yaml:"exe"`
	Process   string `yaml:"process"`
	Container string `yaml:"container"`
}

// Ring sizes by CPU count: the reader has to absorb what every CPU queues
// while it is not running (a scheduling delay, a GC pause), and events
// come from all CPUs of the node, whatever the agent's own share.
const (
	ringPerCPU = 4 << 20
	ringMin    = 8 << 20
	ringMax    = 64 << 20
)

// RingBytes is the ring buffer size for a node of cpus possible CPUs:
// RingBufferBytes when set, else 4 MiB a CPU rounded up to a power of
// two, between 8 and 64 MiB. At 8 MiB this VM's agent took 360,000 events
// a second with no drop (vigil-agent-bench -ramp), and its RSS is half
// what 32 MiB cost (the kernel maps the ring's pages twice).
func (a Agent) RingBytes(cpus int) int {
	if a.RingBufferBytes != 0 {
		return a.RingBufferBytes
	}
	n := ringMin
	for n < cpus*ringPerCPU && n < ringMax {
		n *= 2
	}
	return n
}

// DefaultAgent is the agent's configuration before files, env and flags.
func DefaultAgent() Agent {
	return Agent{
		CaptureBytes:     1024,
		RingBufferBytes:  0,
		WakeupBytes:      256 << 10,
		FlushInterval:    50 * time.Millisecond,
		BatchSize:        2000,
		BatchInterval:    time.Second,
		ExportQueueSpans: 16384,
		REDMaxSeries:     2000,
		SpoolMaxBytes:    256 << 20,
		ProcRoot:         "/proc",
		IdleTimeout:      5 * time.Minute,
		Listen:           "127.0.0.1:9464",
	}
}

func agentEnv(a *Agent) map[string]func(string) error {
	ints := func(p *[]int) func(string) error {
		return func(v string) error {
			*p = nil
			for _, s := range SplitList(v) {
				n, err := strconv.Atoi(s)
				if err != nil {
					return err
				}
				*p = append(*p, n)
			}
			return nil
		}
	}
	return map[string]func(string) error{
		"VIGIL_AGENT_PIDS":          ints(&a.PIDs),
		"VIGIL_AGENT_PORTS":         ints(&a.Ports),
		"VIGIL_AGENT_CGROUPS":       func(v string) error { a.Cgroups = SplitList(v); return nil },
		"VIGIL_AGENT_CAPTURE_BYTES": func(v string) (err error) { a.CaptureBytes, err = strconv.Atoi(v); return err },
		"VIGIL_AGENT_SERVICE_NAME":  func(v string) error { a.ServiceName = v; return nil },
		"VIGIL_AGENT_NODE":          func(v string) error { a.Node = v; return nil },
		"VIGIL_AGENT_PROC_ROOT":     func(v string) error { a.ProcRoot = v; return nil },
		"VIGIL_AGENT_LISTEN":        func(v string) error { a.Listen = v; return nil },
		"VIGIL_AGENT_HOOKS":         func(v string) error { a.Hooks = v; return nil },
	}
}

// Validate reports every problem of the agent section at once.
func (a Agent) Validate() error {
	var errs []error
	if a.CaptureBytes < 64 || a.CaptureBytes > 16384 {
		errs = append(errs, fmt.Errorf("agent.capture_bytes (--capture-bytes) %d must be between 64 and 16384", a.CaptureBytes))
	}
	switch a.Hooks {
	case "", "auto", "socket", "syscall":
	default:
		errs = append(errs, fmt.Errorf("agent.hooks (--hooks) %q must be auto, socket or syscall", a.Hooks))
	}
	if a.RingBufferBytes != 0 && (a.RingBufferBytes < 1<<16 || a.RingBufferBytes&(a.RingBufferBytes-1) != 0) {
		errs = append(errs, fmt.Errorf("agent.ring_buffer_bytes %d must be 0 (sized by the CPUs) or a power of two of at least 65536", a.RingBufferBytes))
	}
	// Against the smallest ring the rule gives when it is sized by CPUs.
	if ring := a.RingBytes(1); a.WakeupBytes < 0 || a.WakeupBytes > ring/2 {
		errs = append(errs, fmt.Errorf("agent.wakeup_bytes %d must be between 0 and half the ring buffer (%d)", a.WakeupBytes, ring/2))
	}
	if a.FlushInterval <= 0 || a.FlushInterval > 10*time.Second {
		errs = append(errs, fmt.Errorf("agent.flush_interval %s must be between 0 and 10s", a.FlushInterval))
	}
	if a.BatchSize < 1 || a.BatchInterval <= 0 {
		errs = append(errs, errors.New("agent.batch_size must be at least 1 and agent.batch_interval positive"))
	}
	if a.REDMaxSeries < 1 {
		errs = append(errs, fmt.Errorf("agent.red_max_series %d must be at least 1", a.REDMaxSeries))
	}
	if a.ExportQueueSpans < a.BatchSize {
		errs = append(errs, fmt.Errorf("agent.export_queue_spans %d must be at least agent.batch_size (%d)", a.ExportQueueSpans, a.BatchSize))
	}
	if a.SpoolMaxBytes < 1<<20 {
		errs = append(errs, fmt.Errorf("agent.spool_max_bytes %d must be at least 1 MiB", a.SpoolMaxBytes))
	}
	for _, p := range a.PIDs {
		if p <= 0 {
			errs = append(errs, fmt.Errorf("agent pid %d (--pid) must be positive", p))
		}
	}
	for _, p := range a.Ports {
		if p <= 0 || p > 65535 {
			errs = append(errs, fmt.Errorf("agent port %d (--port) must be between 1 and 65535", p))
		}
	}
	for i, s := range a.Services {
		if s.Name == "" || (s.Exe == "" && s.Process == "" && s.Container == "") {
			errs = append(errs, fmt.Errorf("agent.services[%d] needs a name and one of exe, process, container", i))
		}
	}
	if a.IdleTimeout < time.Second {
		errs = append(errs, fmt.Errorf("agent.idle_timeout %s must be at least 1s", a.IdleTimeout))
	}
	return errors.Join(errs...)
}
