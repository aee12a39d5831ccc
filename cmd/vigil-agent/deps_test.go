package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The DaemonSet binary must stay lean: no Temporal server, no Temporal SDK.
func TestDoesNotLinkTemporal(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "go.temporal.io/") || strings.HasPrefix(pkg, "github.com/temporalio/") {
			t.Errorf("vigil-agent links %s", pkg)
		}
	}
}
