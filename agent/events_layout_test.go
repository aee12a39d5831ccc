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
