package agent

import (
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"

	"github.com/vigil-dev/vigil/bpf"
)

// TestCaptureMarksPlainStreams checks the kernel's shortcut for text
// protocols: a connection whose bytes open an HTTP/1 message, a Redis
// command or a PostgreSQL StartupMessage is marked plain (its later I/O
// skips the TLS lookups), also when joined mid-way (opened before the
// capture, seen again after a pause); one that opens with a TLS record,
// other text or a lone printable byte (PostgreSQL's answer 'S' to an
// SSLRequest, before the handshake) is not, and an HTTP CONNECT, a tunnel
// for TLS, never is. All keep producing data events with their bytes.
func TestCaptureMarksPlainStreams(t *testing.T) {
	c := openSelfCapture(t)
	const undecided, text, never = 0, 1, 2
	pgStartup := append([]byte{0, 0, 0, 0x29, 0, 3, 0, 0}, "user\x00postgres\x00database\x00postgres\x00\x00"...)

	tests := []struct {
		name   string
		first  []byte
		midway bool
		want   uint8
	}{
		{"http request", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), false, text},
		{"http/2 preface", []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), false, text},
		{"redis command", []byte("*1\r\n$4\r\nPING\r\n"), false, text},
		{"postgres startup message", pgStartup, false, text},
		{"http connect", []byte("CONNECT example.com:443 HTTP/1.1\r\n\r\n"), false, never},
		{"other text", []byte("hello there\n"), false, undecided},
		{"one printable byte", []byte("S"), false, undecided},
		{"tls client hello", []byte{0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5}, false, undecided},
		{"postgres ssl request", []byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}, false, undecided},
		{"http request joined mid-way", []byte("POST /x HTTP/1.1\r\nHost: x\r\n\r\n"), true, text},
		{"http response joined mid-way", []byte("HTTP/1.1 200 OK\r\n\r\n"), true, text},
		{"redis command joined mid-way", []byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"), true, text},
		{"other text joined mid-way", []byte("hello there\n"), true, undecided},
		{"printable bytes inside a tls record joined mid-way", []byte("GEt /\x9c\x01\xfe"), true, undecided},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := dialLoopback(t)
			fd := connFD(t, client)
			if tt.midway {
				// Forgets every connection: the next I/O joins this one
				// without its handshake.
				if err := c.Pause(); err != nil {
					t.Fatal(err)
				}
				if err := c.Resume(); err != nil {
					t.Fatal(err)
				}
			}
			for i := 0; i < 2; i++ {
				if _, err := client.Write(tt.first); err != nil {
					t.Fatal(err)
				}
			}
			conn := lookupConn(t, c, fd)
			if conn.Plain != tt.want {
				t.Errorf("plain = %d, want %d", conn.Plain, tt.want)
			}
			if conn.Off[1] != uint64(2*len(tt.first)) {
				t.Errorf("egress offset %d, want %d", conn.Off[1], 2*len(tt.first))
			}
			if n := dataEventsOf(t, c, fd, tt.first); n != 2 {
				t.Errorf("%d data events carrying the written bytes, want 2", n)
			}
		})
	}
}

func connFD(t *testing.T, c net.Conn) int32 {
	t.Helper()
	raw, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var fd int32
	if err := raw.Control(func(f uintptr) { fd = int32(f) }); err != nil {
		t.Fatal(err)
	}
	return fd
}

func lookupConn(t *testing.T, c *Capture, fd int32) bpf.CaptureVigilConn {
	t.Helper()
	var v bpf.CaptureVigilConn
	key := uint64(os.Getpid())<<32 | uint64(uint32(fd))
	if err := c.objs.VigilConns.Lookup(key, &v); err != nil {
		t.Fatalf("connection of fd %d not in vigil_conns: %v", fd, err)
	}
	return v
}

// dataEventsOf drains the ring buffer and counts the egress data events
// of fd whose captured bytes are want.
func dataEventsOf(t *testing.T, c *Capture, fd int32, want []byte) int {
	t.Helper()
	var rec ringbuf.Record
	n := 0
	for {
		err := c.Read(&rec, time.Now().Add(300*time.Millisecond))
		if err != nil {
			return n
		}
		var ev dataEvent
		if len(rec.RawSample) == 0 || rec.RawSample[0] != evData || decodeData(rec.RawSample, &ev) != nil {
			continue
		}
		if ev.FD == fd && ev.Dir == 1 && string(ev.Data) == string(want) {
			n++
		}
	}
}

// TestPauseDetachesCapture checks what the interleaved benchmark relies
// on: a paused capture sees no I/O and forgets its connections, and after
// Resume the same connection is captured again under a new connection id.
func TestPauseDetachesCapture(t *testing.T) {
	c := openSelfCapture(t)
	client := dialLoopback(t)
	fd := connFD(t, client)
	msg := []byte("GET /paused HTTP/1.1\r\n\r\n")
	write := func() {
		t.Helper()
		if _, err := client.Write(msg); err != nil {
			t.Fatal(err)
		}
	}

	write()
	first := lookupConn(t, c, fd).Id
	if n := dataEventsOf(t, c, fd, msg); n != 1 {
		t.Fatalf("attached: %d data events, want 1", n)
	}
	if err := c.Pause(); err != nil {
		t.Fatal(err)
	}
	var v bpf.CaptureVigilConn
	if err := c.objs.VigilConns.Lookup(uint64(os.Getpid())<<32|uint64(uint32(fd)), &v); err == nil {
		t.Error("paused: the connection is still in vigil_conns")
	}
	write()
	if n := dataEventsOf(t, c, fd, msg); n != 0 {
		t.Errorf("paused: %d data events, want 0", n)
	}
	if err := c.Resume(); err != nil {
		t.Fatal(err)
	}
	write()
	if n := dataEventsOf(t, c, fd, msg); n != 1 {
		t.Errorf("resumed: %d data events, want 1", n)
	}
	if again := lookupConn(t, c, fd).Id; again == first {
		t.Error("resumed: the connection kept its id: user space would take the missed bytes for a contiguous stream")
	}
}

// TestCaptureConnectionLifecycle checks the connection events with either
// hooks: the role from connect/accept (or the TCP handshake), the end with
// its final offsets, and a descriptor reused for another socket before its
// first socket ended, which the socket-layer hooks tell by the socket.
func TestCaptureConnectionLifecycle(t *testing.T) {
	c := openSelfCapture(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 2)
	go func() {
		for {
			s, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- s
		}
	}()

	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	srvA := <-accepted
	defer srvA.Close() // kept open: a's socket outlives its descriptor
	fdA := connFD(t, a)
	if _, err := a.Write([]byte("PING\r\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	if _, err := io.ReadFull(srvA, buf); err != nil {
		t.Fatal(err)
	}
	if _, err := srvA.Write([]byte("+PONG\r\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(a, buf[:7-1]); err != nil {
		t.Fatal(err)
	}
	evs := connEventsOf(t, c)
	openA := findConnEvent(evs, evOpen, fdA)
	if openA == nil || openA.Role != roleClient || openA.Local.Port() != uint16(a.LocalAddr().(*net.TCPAddr).Port) {
		t.Fatalf("client open event of fd %d: %+v", fdA, openA)
	}
	if s := findConnEvent(evs, evOpen, connFD(t, srvA)); s == nil || s.Role != roleServer {
		t.Errorf("server open event: %+v", s)
	}

	a.Close()
	b, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	srvB := <-accepted
	defer srvB.Close()
	if fdB := connFD(t, b); fdB != fdA {
		t.Skipf("the new connection got descriptor %d, not %d: reuse not exercised", fdB, fdA)
	}
	if _, err := b.Write([]byte("PING\r\n")); err != nil {
		t.Fatal(err)
	}
	evs = connEventsOf(t, c)
	closeA := findConnEvent(evs, evClose, fdA)
	if closeA == nil || closeA.ConnID != openA.ConnID || closeA.Off != [2]uint64{6, 6} {
		t.Errorf("close of the first connection: %+v, want conn %d with offsets [6 6] (the reply was 7 bytes, 6 read)", closeA, openA.ConnID)
	}
	openB := findConnEvent(evs, evOpen, fdA)
	if openB == nil || openB.ConnID == openA.ConnID || openB.Local.Port() != uint16(b.LocalAddr().(*net.TCPAddr).Port) {
		t.Fatalf("open of the reused descriptor: %+v", openB)
	}

	// Both ends closed: each connection's end is reported.
	fdSrvB := connFD(t, srvB)
	if _, err := io.ReadFull(srvB, buf); err != nil {
		t.Fatal(err)
	}
	b.Close()
	srvB.Close()
	evs = connEventsOf(t, c)
	if e := findConnEvent(evs, evClose, fdA); e == nil || e.ConnID != openB.ConnID || e.Off != [2]uint64{0, 6} {
		t.Errorf("close of the second connection: %+v, want conn %d with offsets [0 6]", e, openB.ConnID)
	}
	if e := findConnEvent(evs, evClose, fdSrvB); e == nil || e.Off != [2]uint64{6, 0} || e.TID == 0 {
		t.Errorf("close of the second connection's server end: %+v, want offsets [6 0] and the closing thread", e)
	}
}

// connEventsOf drains the ring buffer and returns its connection events.
func connEventsOf(t *testing.T, c *Capture) []connEvent {
	t.Helper()
	var rec ringbuf.Record
	var out []connEvent
	for c.Read(&rec, time.Now().Add(300*time.Millisecond)) == nil {
		if len(rec.RawSample) == 0 || (rec.RawSample[0] != evOpen && rec.RawSample[0] != evClose) {
			continue
		}
		var ev connEvent
		if err := decodeConn(rec.RawSample, &ev); err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

func findConnEvent(evs []connEvent, typ uint8, fd int32) *connEvent {
	for i := range evs {
		if evs[i].Type == typ && evs[i].FD == fd && evs[i].TGID == uint32(os.Getpid()) {
			return &evs[i]
		}
	}
	return nil
}

// TestCaptureCountsSplicedBytes: bytes a traced process moves through a
// socket where the syscall's registers do not name the socket (splice
// here, io_uring likewise) advance the stream offset uncopied, so user
// space sees a gap rather than joining the bytes either side.
func TestCaptureCountsSplicedBytes(t *testing.T) {
	needBPF(t)
	if testHooks() == HooksSyscall {
		t.Skip("the syscall hooks do not follow splice (the socket-layer hooks do)")
	}
	c := openSelfCapture(t)
	if !c.socket {
		t.Skip("the kernel has no socket-layer hooks (6.3+)")
	}
	client := dialLoopback(t)
	fd := connFD(t, client)
	head := []byte("GET /spliced HTTP/1.1\r\n")
	if _, err := client.Write(head); err != nil {
		t.Fatal(err)
	}
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	body := []byte("X-Spliced: 1\r\n\r\n")
	if _, err := unix.Write(p[1], body); err != nil {
		t.Fatal(err)
	}
	n, err := unix.Splice(p[0], nil, int(fd), nil, len(body), 0)
	if err != nil || n != int64(len(body)) {
		t.Fatalf("splice: %d bytes, %v", n, err)
	}
	if _, err := client.Write(head); err != nil {
		t.Fatal(err)
	}
	if off, want := lookupConn(t, c, fd).Off[1], uint64(2*len(head)+len(body)); off != want {
		t.Errorf("egress offset %d, want %d (the spliced bytes counted)", off, want)
	}
}

// openSelfCapture loads the capture with the tests' hooks, tracing this
// test process only, and closes it when the test ends.
func openSelfCapture(t *testing.T) *Capture {
	t.Helper()
	needBPF(t)
	c, err := OpenCapture(CaptureOptions{CaptureBytes: 1024, RingBytes: 1 << 20, TraceSelf: true, Hooks: testHooks()},
		Filter{PIDs: []uint32{uint32(os.Getpid())}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// dialLoopback returns the client end of a loopback TCP connection whose
// server end is never accepted (the kernel completes the handshake).
func dialLoopback(t *testing.T) net.Conn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

// TestCaptureFallsBackToSyscallHooks: when the socket-layer hooks cannot be
// loaded, "auto" captures through the syscall hooks instead, and an
// explicit "socket" says why it cannot start.
func TestCaptureFallsBackToSyscallHooks(t *testing.T) {
	needBPF(t)
	if ok, _ := socketHooks(HooksAuto); !ok {
		t.Skip("the kernel has no socket-layer hooks (6.3+): auto already uses the syscall hooks")
	}
	socketHookTarget = "vigil_no_such_tracepoint"
	defer func() { socketHookTarget = "" }()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if c, err := OpenCapture(CaptureOptions{CaptureBytes: 1024, RingBytes: 1 << 20, TraceSelf: true, Hooks: HooksSocket},
		Filter{PIDs: []uint32{uint32(os.Getpid())}}, log); err == nil {
		c.Close()
		t.Fatal("socket hooks that cannot load: OpenCapture succeeded")
	}
	c, err := OpenCapture(CaptureOptions{CaptureBytes: 1024, RingBytes: 1 << 20, TraceSelf: true, Hooks: HooksAuto},
		Filter{PIDs: []uint32{uint32(os.Getpid())}}, log)
	if err != nil {
		t.Fatalf("auto did not fall back: %v", err)
	}
	defer c.Close()
	if c.socket {
		t.Fatal("auto kept the socket-layer hooks")
	}
	client := dialLoopback(t)
	fd := connFD(t, client)
	msg := []byte("GET /fallback HTTP/1.1\r\n\r\n")
	if _, err := client.Write(msg); err != nil {
		t.Fatal(err)
	}
	if n := dataEventsOf(t, c, fd, msg); n != 1 {
		t.Errorf("%d data events through the syscall hooks, want 1", n)
	}
}

// TestCaptureScratchGuard: with the syscall hooks, which may run
// preemptible, a data event whose CPU scratch is held (simulated by
// marking every CPU's in use) is dropped and counted, never built in a
// buffer someone else is filling; the socket-layer hooks run with
// preemption disabled and take no guard.
func TestCaptureScratchGuard(t *testing.T) {
	c := openSelfCapture(t)
	client := dialLoopback(t)
	fd := connFD(t, client)
	msg := []byte("GET /guarded HTTP/1.1\r\n\r\n")
	setBusy := func(v byte) { setScratchBusy(t, c.objs.VigilScratchpad, v) }
	setBusy(1)
	before, _ := c.Stats()
	if _, err := client.Write(msg); err != nil {
		t.Fatal(err)
	}
	n := dataEventsOf(t, c, fd, msg)
	after, _ := c.Stats()
	if c.socket {
		if n != 1 || after.Preempted != before.Preempted {
			t.Errorf("socket-layer hooks: %d events, %d counted preempted; want 1 and 0", n, after.Preempted-before.Preempted)
		}
	} else if n != 0 || after.Preempted == before.Preempted {
		t.Errorf("syscall hooks, scratch busy: %d events, %d counted preempted; want 0 and some", n, after.Preempted-before.Preempted)
	}
	setBusy(0)
	if _, err := client.Write(msg); err != nil {
		t.Fatal(err)
	}
	if n := dataEventsOf(t, c, fd, msg); n != 1 {
		t.Errorf("scratch free again: %d events, want 1", n)
	}
}

// setScratchBusy marks every CPU's guarded scratch in m held (1) or free
// (0), as a preempted program holding it would.
func setScratchBusy(t *testing.T, m *ebpf.Map, v byte) {
	t.Helper()
	for cpu := uint32(0); cpu < m.MaxEntries(); cpu++ {
		slot := make([]byte, m.ValueSize())
		if err := m.Lookup(cpu, &slot); err != nil {
			t.Fatal(err)
		}
		slot[0] = v
		if err := m.Update(cpu, slot, 0); err != nil {
			t.Fatal(err)
		}
	}
}
