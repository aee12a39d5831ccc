package bpf

import (
	"errors"
	"os"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/rlimit"
)

// TestVerifierAcceptsPrograms loads every program into the running kernel:
// the verifier is the only judge of whether the C is valid.
func TestVerifierAcceptsPrograms(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("loading BPF programs needs root (CAP_BPF and CAP_PERFMON)")
	}
	if err := rlimit.RemoveMemlock(); err != nil {
		t.Fatalf("removing memlock limit: %v", err)
	}
	spec, err := LoadCapture()
	if err != nil {
		t.Fatalf("reading the embedded object: %v", err)
	}
	spec.Maps["vigil_scratchpad"].MaxEntries = 4
	var objs CaptureObjects
	err = spec.LoadAndAssign(&objs, nil)
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) {
		t.Fatalf("verifier rejected a program: %+v", ve)
	}
	if err != nil {
		t.Fatalf("loading: %v", err)
	}
	defer objs.Close()
	for _, name := range []string{"vigil_sys_exit", "vigil_enter_close", "vigil_process_exit", "vigil_process_exec",
		"vigil_ssl_read", "vigil_ssl_read_ex", "vigil_ssl_write", "vigil_ssl_write_ex", "vigil_ssl_return"} {
		if spec.Programs[name] == nil {
			t.Errorf("program %s missing from the object", name)
		}
	}
}
