package agent

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"

	"github.com/vigil-dev/vigil/bpf"
)

// tracepoints lists the classic tracepoints capture.c attaches to for the
// whole capture's life; the socket I/O hooks are attached apart (ioHooks).
func tracepoints(p *bpf.CapturePrograms) []struct {
	group, name string
	prog        *ebpf.Program
} {
	type tp = struct {
		group, name string
		prog        *ebpf.Program
	}
	return []tp{
		{"sched", "sched_process_exit", p.VigilProcessExit},
		{"sched", "sched_process_exec", p.VigilProcessExec},
	}
}

// rawTracepoints lists the tp_btf programs of the given hooks by the
// tracepoint they attach to.
func rawTracepoints(p *bpf.CapturePrograms, socket bool) map[string]*ebpf.Program {
	if socket {
		return map[string]*ebpf.Program{
			"sock_send_length": p.VigilSockSend, "sock_recv_length": p.VigilSockRecv,
			"inet_sock_set_state": p.VigilSockState,
		}
	}
	return map[string]*ebpf.Program{"sys_exit": p.VigilSysExit}
}

// socketHookTarget, when set, replaces the send program's tracepoint:
// the tests make the socket-layer hooks fail with a name no kernel has.
var socketHookTarget = ""

// Hook choices (config.Agent.Hooks).
const (
	HooksAuto    = "auto"
	HooksSocket  = "socket"
	HooksSyscall = "syscall"
)

// socketHooks says whether to observe I/O at the socket layer: the
// sock_send_length/sock_recv_length tracepoints (6.3+) fire for socket
// I/O only, where any syscall tracepoint switches every process on the
// machine to the kernel's slow syscall path.
func socketHooks(choice string) (bool, error) {
	if choice == HooksSyscall {
		return false, nil
	}
	kernel, err := btf.LoadKernelSpec()
	if err == nil {
		_, err = kernel.AnyTypeByName("btf_trace_sock_send_length")
	}
	if err != nil && choice == HooksSocket {
		return false, fmt.Errorf("socket-layer hooks chosen but the kernel has no sock_send_length tracepoint (6.3+) in its BTF: %w", err)
	}
	return err == nil, nil
}

// keepPrograms replaces the programs of the hooks not chosen by copies of
// a tracepoint program, which loads on any kernel and is never attached:
// LoadAndAssign loads every program CaptureObjects names, and the other
// hooks' targets or helpers may not exist on this kernel.
func keepPrograms(spec *ebpf.CollectionSpec, socket bool) {
	unused := []string{"vigil_sock_send", "vigil_sock_recv", "vigil_sock_state"}
	if socket {
		unused = []string{"vigil_sys_exit", "vigil_enter_close"}
		if socketHookTarget != "" {
			spec.Programs["vigil_sock_send"].AttachTo = socketHookTarget
		}
	}
	for _, name := range unused {
		p := spec.Programs["vigil_process_exit"].Copy()
		p.Name = name
		spec.Programs[name] = p
	}
}

func (c *Capture) attach() error {
	for _, tp := range tracepoints(&c.objs.CapturePrograms) {
		l, err := link.Tracepoint(tp.group, tp.name, tp.prog, nil)
		if err != nil {
			return fmt.Errorf("attaching to tracepoint %s/%s: %w", tp.group, tp.name, err)
		}
		c.links = append(c.links, l)
	}
	return c.attachIO()
}

// attachIO attaches the socket I/O hooks chosen: the raw tracepoints, and
// with the syscall hooks the close entry tracepoint.
func (c *Capture) attachIO() error {
	if !c.socket {
		l, err := link.Tracepoint("syscalls", "sys_enter_close", c.objs.VigilEnterClose, nil)
		if err != nil {
			return fmt.Errorf("attaching to tracepoint syscalls/sys_enter_close: %w", err)
		}
		c.io = append(c.io, l)
	}
	for name, p := range rawTracepoints(&c.objs.CapturePrograms, c.socket) {
		l, err := link.AttachTracing(link.TracingOptions{Program: p})
		if err != nil {
			return fmt.Errorf("attaching to the raw tracepoint %s (needs BTF): %w", name, err)
		}
		c.io = append(c.io, l)
	}
	return nil
}

// Pause detaches the socket I/O hooks, so the machine runs as without the
// agent (the benchmark's baseline windows), and forgets every connection:
// bytes moved meanwhile are not seen, so after Resume each connection is
// taken up again as joined mid-way. Not safe for concurrent use with Resume.
func (c *Capture) Pause() error {
	for _, l := range c.io {
		_ = l.Close()
	}
	c.io = nil
	for _, m := range []*ebpf.Map{c.objs.VigilConns, c.objs.VigilSkip, c.objs.VigilSocks, c.objs.VigilRoles} {
		if err := clearMap(m); err != nil {
			return fmt.Errorf("pausing the capture: %w", err)
		}
	}
	return nil
}

// Resume attaches the socket I/O hooks again after Pause.
func (c *Capture) Resume() error {
	if err := c.attachIO(); err != nil {
		return fmt.Errorf("resuming the capture: %w", err)
	}
	return nil
}

// clearMap deletes every entry of a hash map with 8-byte keys.
func clearMap(m *ebpf.Map) error {
	var keys []uint64
	var prev any // nil: the first key
	for {
		var k uint64
		if err := m.NextKey(prev, &k); errors.Is(err, ebpf.ErrKeyNotExist) {
			break
		} else if err != nil {
			return err
		}
		keys, prev = append(keys, k), k
	}
	for _, k := range keys {
		if err := m.Delete(k); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			return err
		}
	}
	return nil
}
