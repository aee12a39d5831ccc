package agent

import (
	"testing"
	"unsafe"

	"github.com/vigil-dev/vigil/bpf"
)

// The decoders read fixed offsets: pin them to the generated layout.
func TestEventLayoutMatchesBPF(t *testing.T) {
	var d bpf.CaptureVigilDataEvent
	var c bpf.CaptureVigilConnEvent
	checks := []struct {
		name      string
		got, want uintptr
	}{
		{"data size", unsafe.Sizeof(d), dataHeaderSize},
		{"data flags", unsafe.Offsetof(d.Flags), 2},
		{"data off", unsafe.Offsetof(d.Off), 24},
		{"data len", unsafe.Offsetof(d.Len), 48},
		{"conn size", unsafe.Sizeof(c), connEventSize},
		{"conn cgroup", unsafe.Offsetof(c.CgroupId), 32},
		{"conn laddr", unsafe.Offsetof(c.Laddr), 56},
		{"conn raddr", unsafe.Offsetof(c.Raddr), 72},
		{"conn lport", unsafe.Offsetof(c.Lport), 88},
		{"conn sock type", unsafe.Offsetof(c.SockType), 92},
	}
	for _, tc := range checks {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("%s = %d, decoder assumes %d", tc.name, tc.got, tc.want)
			}
		})
	}
}

func TestDecodeExecComm(t *testing.T) {
	cases := []struct{ name, comm, want string }{
		{"short", "curl\x00\x00\x00", "curl"},
		{"full 15 bytes and the NUL", "python3.11-conf\x00", "python3.11-conf"},
		{"no NUL", "0123456789abcdef", "0123456789abcdef"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := make([]byte, connEventSize)
			b[0] = evExec
			copy(b[56:72], tc.comm)
			var ev connEvent
			if err := decodeConn(b, &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Comm != tc.want {
				t.Errorf("comm %q, want %q", ev.Comm, tc.want)
			}
		})
	}
}
