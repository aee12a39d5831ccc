package agent

import (
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/cilium/ebpf/ringbuf"

	"github.com/vigil-dev/vigil/bpf"
)

// TestCaptureMarksPlainStreams checks the kernel's shortcut for text
// protocols: a connection whose first bytes are text is marked plain (its
// later I/O skips the TLS lookups) while one that opens with a TLS record
// is not, and both keep producing data events with their bytes.
func TestCaptureMarksPlainStreams(t *testing.T) {
	needBPF(t)
	c, err := OpenCapture(CaptureOptions{CaptureBytes: 1024, RingBytes: 1 << 20, TraceSelf: true, Hooks: testHooks()},
		Filter{PIDs: []uint32{uint32(os.Getpid())}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	tests := []struct {
		name      string
		first     []byte
		wantPlain bool
	}{
		{"http request", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), true},
		{"redis command", []byte("*1\r\n$4\r\nPING\r\n"), true},
		{"tls client hello", []byte{0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5}, false},
		{"postgres startup", []byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			client, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			fd := connFD(t, client)
			for i := 0; i < 2; i++ {
				if _, err := client.Write(tt.first); err != nil {
					t.Fatal(err)
				}
			}
			conn := lookupConn(t, c, fd)
			if got := conn.Plain == 1; got != tt.wantPlain {
				t.Errorf("plain = %v, want %v", got, tt.wantPlain)
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
