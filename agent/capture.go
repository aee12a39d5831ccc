package agent

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/features"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"

	"github.com/vigil-dev/vigil/bpf"
)

// Limits of the capture size, as the BPF program enforces them.
const (
	MaxCaptureBytes     = 16384
	DefaultCaptureBytes = 1024
)

// uprobePerfOnly makes the TLS probes perf events, as on kernels before
// 6.6, for the tests of that path.
var uprobePerfOnly = false

// Filter chooses what the kernel captures. Empty PIDs and Cgroups mean every
// process (but the agent); empty Ports mean every port. A process is traced
// when it matches PIDs or Cgroups.
type Filter struct {
	PIDs    []uint32
	Cgroups []Cgroup
	Ports   []uint16
}

// Capture is the loaded and attached BPF side.
type Capture struct {
	final  *KernelStats // the counters when the programs were unloaded
	objs   bpf.CaptureObjects
	links  []link.Link // process exit and exec
	io     []link.Link // socket I/O and connections: detached by Pause
	reader *ringbuf.Reader
	cfg    bpf.CaptureVigilConfig
	log    *slog.Logger
	// uprobeMulti: the TLS uprobe programs are loaded for uprobe_multi links.
	uprobeMulti bool
	// socket: I/O is observed by the socket-layer hooks, not the syscalls'.
	socket bool
}

// CaptureOptions size the capture.
type CaptureOptions struct {
	CaptureBytes int // bytes copied per syscall
	RingBytes    int // ring buffer size, a power of two multiple of the page size
	WakeupBytes  int // wake the reader when this much is queued
	TraceSelf    bool
	Hooks        string // HooksAuto (""), HooksSocket or HooksSyscall
}

// OpenCapture loads the programs, sets the filter and attaches them.
// With HooksAuto, socket-layer hooks that fail to load or attach give way
// to the syscall hooks, with a warning.
func OpenCapture(opts CaptureOptions, f Filter, log *slog.Logger) (*Capture, error) {
	socket, err := socketHooks(opts.Hooks)
	if err != nil {
		return nil, err
	}
	c, err := openCapture(opts, socket, f, log)
	if err != nil && socket && (opts.Hooks == "" || opts.Hooks == HooksAuto) {
		log.Warn("the socket-layer hooks failed: using the syscall hooks", "err", err)
		return openCapture(opts, false, f, log)
	}
	return c, err
}

func openCapture(opts CaptureOptions, socket bool, f Filter, log *slog.Logger) (*Capture, error) {
	if err := EnsureMounts(log); err != nil {
		return nil, err
	}
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, fmt.Errorf("removing the memlock limit (needs CAP_SYS_RESOURCE on kernels before 5.11): %w", err)
	}
	spec, err := bpf.LoadCapture()
	if err != nil {
		return nil, fmt.Errorf("reading the embedded BPF object: %w", err)
	}
	cpus, err := ebpf.PossibleCPU()
	if err != nil {
		return nil, fmt.Errorf("counting CPUs: %w", err)
	}
	spec.Maps["vigil_scratchpad"].MaxEntries = uint32(cpus)
	spec.Maps["vigil_tls_scratchpad"].MaxEntries = uint32(cpus)
	if opts.RingBytes > 0 {
		spec.Maps["vigil_events"].MaxEntries = uint32(opts.RingBytes)
	}
	c := &Capture{log: log, socket: socket}
	keepPrograms(spec, c.socket)
	// uprobe_multi links (6.6+) detach in one grace period per program and
	// file instead of one per probe; the programs must be loaded for them.
	if !uprobePerfOnly && features.HaveBPFLinkUprobeMulti() == nil {
		c.uprobeMulti = true
		for _, p := range spec.Programs {
			if p.Type == ebpf.Kprobe {
				p.AttachType = ebpf.AttachTraceUprobeMulti
			}
		}
	}
	if err := spec.LoadAndAssign(&c.objs, nil); err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return nil, fmt.Errorf("the kernel's verifier rejected the capture programs: %+v", ve)
		}
		return nil, fmt.Errorf("loading the capture programs (needs root, or CAP_BPF and CAP_PERFMON): %w", err)
	}
	self := uint32(os.Getpid())
	if opts.TraceSelf {
		self = 0 // no process has tgid 0
	}
	c.cfg = bpf.CaptureVigilConfig{
		SelfTgid:    self,
		Capture:     uint32(opts.CaptureBytes),
		WakeupBytes: wakeupPerCPU(opts.WakeupBytes),
	}
	if err := c.SetFilter(f); err != nil {
		c.Close()
		return nil, err
	}
	if err := c.attach(); err != nil {
		c.Close()
		return nil, err
	}
	log.Info("capture hooks", "socket_layer", c.socket)
	c.reader, err = ringbuf.NewReader(c.objs.VigilEvents)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("opening the ring buffer: %w", err)
	}
	return c, nil
}

// SetFilter replaces the kernel's filter maps; traced processes switch at once.
func (c *Capture) SetFilter(f Filter) error {
	cfg := c.cfg
	cfg.Flags = 0
	if err := replaceKeys(c.objs.VigilPids, f.PIDs); err != nil {
		return fmt.Errorf("setting the pid filter: %w", err)
	}
	if len(f.PIDs) > 0 {
		cfg.Flags |= 1
	}
	ids := make([]uint64, 0, len(f.Cgroups))
	for _, cg := range f.Cgroups {
		if cg.Mode != f.Cgroups[0].Mode {
			return fmt.Errorf("cgroups %s and %s are in different hierarchies: choose cgroups of one", f.Cgroups[0].Path, cg.Path)
		}
		ids = append(ids, cg.ID)
	}
	if err := replaceKeys(c.objs.VigilCgroups, ids); err != nil {
		return fmt.Errorf("setting the cgroup filter: %w", err)
	}
	if len(ids) > 0 {
		cfg.Flags |= 2
		cfg.CgroupMode = uint32(f.Cgroups[0].Mode)
	}
	if err := replaceKeys(c.objs.VigilPorts, f.Ports); err != nil {
		return fmt.Errorf("setting the port filter: %w", err)
	}
	if len(f.Ports) > 0 {
		cfg.Flags |= 4
	}
	cfg.Generation++ // expires the CPUs' cached pid verdicts
	if err := c.objs.VigilSettings.Put(uint32(0), cfg); err != nil {
		return fmt.Errorf("writing the capture settings: %w", err)
	}
	c.cfg = cfg
	return nil
}

// replaceKeys makes m hold exactly keys (each with value 1).
func replaceKeys[K comparable](m *ebpf.Map, keys []K) error {
	want := make(map[K]bool, len(keys))
	for _, k := range keys {
		want[k] = true
		if err := m.Put(k, uint8(1)); err != nil {
			return err
		}
	}
	var k K
	var v uint8
	var stale []K
	it := m.Iterate()
	for it.Next(&k, &v) {
		if !want[k] {
			stale = append(stale, k)
		}
	}
	if err := it.Err(); err != nil {
		return err
	}
	for _, k := range stale {
		if err := m.Delete(k); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			return err
		}
	}
	return nil
}

// Read fills rec with the next event, waiting at most until deadline: the
// programs wake the reader only once WakeupBytes are queued, so the deadline
// bounds how long a lone event waits.
func (c *Capture) Read(rec *ringbuf.Record, deadline time.Time) error {
	c.reader.SetDeadline(deadline)
	return c.reader.ReadInto(rec)
}

// wakeupPerCPU divides the wakeup threshold among the CPUs: each counts
// what it queued itself, so no more than about n bytes wait in all.
func wakeupPerCPU(n int) uint32 {
	cpus, err := ebpf.PossibleCPU()
	if err != nil || cpus < 1 {
		cpus = 1
	}
	return uint32(n / cpus)
}

// Flush wakes a Read waiting for its deadline: it returns what is queued,
// then ringbuf.ErrFlushed.
func (c *Capture) Flush() error { return c.reader.Flush() }

// KernelStats are the programs' counters, summed over CPUs.
type KernelStats struct {
	DataEvents, DataDrops, CtrlDrops, DroppedBytes, Conns uint64
	// TLS: plaintext events and bytes from the library uprobes, plaintext
	// calls whose socket was never seen, ciphertext bytes not copied.
	TLSEvents, TLSBytes, TLSNoFD, TLSCipherBytes uint64
	// Preempted: events dropped because a preempted program on the same
	// CPU held the scratch they are built in (uprobes; syscall tracepoints
	// on kernels where they are faultable).
	Preempted uint64
}

// Stats reads the kernel counters.
func (c *Capture) Stats() (KernelStats, error) {
	if c.final != nil {
		return *c.final, nil
	}
	var s KernelStats
	// In the order of enum vigil_stat; the wakeup byte count (9) is not a
	// counter.
	var unwoken uint64
	dst := []*uint64{&s.DataEvents, &s.DataDrops, &s.CtrlDrops, &s.DroppedBytes, &s.Conns,
		&s.TLSEvents, &s.TLSBytes, &s.TLSNoFD, &s.TLSCipherBytes, &unwoken, &s.Preempted}
	for i, d := range dst {
		var per []uint64
		if err := c.objs.VigilStats.Lookup(uint32(i), &per); err != nil {
			return s, fmt.Errorf("reading kernel counter %d: %w", i, err)
		}
		for _, v := range per {
			*d += v
		}
	}
	return s, nil
}

// ForgetProcess drops the kernel's connection entries of an exited process.
func (c *Capture) ForgetProcess(tgid uint32) {
	var k uint64
	var v bpf.CaptureVigilConn
	var stale []uint64
	it := c.objs.VigilConns.Iterate()
	for it.Next(&k, &v) {
		if uint32(k>>32) == tgid {
			stale = append(stale, k)
		}
	}
	for _, k := range stale {
		_ = c.objs.VigilConns.Delete(k)
	}
}

// Program is a loaded BPF program (for its run-time statistics).
type Program = *ebpf.Program

// Programs lists the loaded programs, for run-time statistics.
func (c *Capture) Programs() map[string]Program {
	out := rawTracepoints(&c.objs.CapturePrograms, c.socket)
	for name, p := range sslPrograms(&c.objs.CapturePrograms) {
		out["uprobe_"+name] = p
	}
	out["uretprobe_ssl"] = c.objs.VigilSslReturn
	for _, tp := range tracepoints(&c.objs.CapturePrograms) {
		out[tp.name] = tp.prog
	}
	if !c.socket {
		out["sys_enter_close"] = c.objs.VigilEnterClose
	}
	return out
}

// Close detaches and unloads everything.
func (c *Capture) Close() {
	if s, err := c.Stats(); err == nil {
		c.final = &s
	}
	if c.reader != nil {
		_ = c.reader.Close()
	}
	for _, l := range append(c.links, c.io...) {
		_ = l.Close()
	}
	_ = c.objs.Close()
}
