package agent

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"
)

// BenchmarkKernelPerEvent measures what the capture costs a traced process
// inside its own socket calls: a 100-byte write and its read on loopback
// (two data events per op) with the hooks detached and attached. The
// difference per op, halved, is the kernel work per event the application
// pays; the ring is drained by another goroutine as the agent would.
func BenchmarkKernelPerEvent(b *testing.B) {
	needBPF(b)
	c, err := OpenCapture(CaptureOptions{CaptureBytes: 1024, RingBytes: 8 << 20, WakeupBytes: 256 << 10, TraceSelf: true, Hooks: testHooks()},
		Filter{PIDs: []uint32{uint32(os.Getpid())}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var rec ringbuf.Record
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := c.Read(&rec, time.Now().Add(50*time.Millisecond)); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
				return
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	cfd, sfd := tcpPair(b)
	msg := make([]byte, 100)
	copy(msg, "GET /hello HTTP/1.1\r\nHost: bench\r\n\r\n")
	buf := make([]byte, len(msg))
	// Blocks of ops alternate between detached and traced, so both see
	// the same moments of a noisy machine; blocking syscalls on one locked
	// thread keep Go's scheduler out of the measure.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const block = 5000
	var per [2][]float64 // ns per op: detached, traced
	traced, n := 0, 0
	if err := c.Pause(); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for b.Loop() {
		if _, err := unix.Write(cfd, msg); err != nil {
			b.Fatal(err)
		}
		if _, err := unix.Read(sfd, buf); err != nil {
			b.Fatal(err)
		}
		if n++; n < block {
			continue
		}
		b.StopTimer()
		per[traced] = append(per[traced], float64(time.Since(start).Nanoseconds())/block)
		traced, n = 1-traced, 0
		if traced == 1 {
			err = c.Resume()
		} else {
			err = c.Pause()
		}
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start = time.Now()
	}
	if len(per[1]) == 0 {
		return // too few ops for one traced block
	}
	off, on := medianOf(per[0]), medianOf(per[1])
	b.ReportMetric(off, "ns/op-detached")
	b.ReportMetric(on, "ns/op-traced")
	b.ReportMetric((on-off)/2, "ns/event")
}

// tcpPair returns the two ends of a loopback TCP connection as blocking
// descriptors.
func tcpPair(b *testing.B) (client, server int) {
	ln, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { unix.Close(ln) })
	if err := unix.Bind(ln, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		b.Fatal(err)
	}
	if err := unix.Listen(ln, 1); err != nil {
		b.Fatal(err)
	}
	sa, err := unix.Getsockname(ln)
	if err != nil {
		b.Fatal(err)
	}
	client, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { unix.Close(client) })
	if err := unix.Connect(client, sa); err != nil {
		b.Fatal(err)
	}
	server, _, err = unix.Accept(ln)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { unix.Close(server) })
	return client, server
}

func medianOf(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}
