package agent

import (
	"os"
	"path/filepath"
	"testing"
)

func TestParseCgroupPath(t *testing.T) {
	id := "3f4e9c1b2a7d6e5f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7"
	cases := []struct {
		name, path, container, pod string
	}{
		{"docker", "/docker/" + id, id, ""},
		{"systemd docker", "/system.slice/docker-" + id + ".scope", id, ""},
		{"kubernetes cgroupfs", "/kubepods/burstable/pod1b2c3d4e-0f1a-4b2c-8d3e-4f5a6b7c8d9e/" + id, id, "1b2c3d4e-0f1a-4b2c-8d3e-4f5a6b7c8d9e"},
		{"kubernetes systemd", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1b2c3d4e_0f1a_4b2c_8d3e_4f5a6b7c8d9e.slice/cri-containerd-" + id + ".scope",
			id, "1b2c3d4e-0f1a-4b2c-8d3e-4f5a6b7c8d9e"},
		{"plain", "/user.slice/user-0.slice/session-1.scope", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, p := parseCgroupPath(tc.path)
			if c != tc.container || p != tc.pod {
				t.Errorf("parseCgroupPath = %q, %q; want %q, %q", c, p, tc.container, tc.pod)
			}
		})
	}
}

func TestProcessesAndServiceRules(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "42")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(dir, "comm"), []byte("checkout\n"), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "cgroup"), []byte("12:memory:/kubepods/podaaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/"+
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n1:name=systemd:/\n"), 0o644)
	_ = os.Symlink("/usr/local/bin/checkout-svc", filepath.Join(dir, "exe"))
	cases := []struct {
		name  string
		rules []ServiceRule
		want  string
	}{
		{"process name by default", nil, "checkout"},
		{"rule by executable", []ServiceRule{{Name: "shop-checkout", Exe: `/checkout-svc$`}}, "shop-checkout"},
		{"rule by container", []ServiceRule{{Name: "c", Container: "0123456789ab"}}, "c"},
		{"non-matching rule", []ServiceRule{{Name: "x", Process: "nginx"}}, "checkout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := NewProcesses(root, tc.rules)
			if err != nil {
				t.Fatal(err)
			}
			p := ps.Get(42)
			if p.Service != tc.want || p.PodUID != "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" || p.Executable != "/usr/local/bin/checkout-svc" {
				t.Errorf("got %+v, want service %q", p, tc.want)
			}
		})
	}
	if _, err := NewProcesses(root, []ServiceRule{{Name: "bad", Exe: "("}}); err == nil {
		t.Error("an invalid exe pattern was accepted")
	}
}
