package gittest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitClone clones url with the git binary, the reference implementation.
func gitClone(t *testing.T, url string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "clone")
	cmd := exec.Command("git", "clone", "-q", url, dst)
	cmd.Env = append(os.Environ(), isolatedEnv()...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git clone %s: %v\n%s", url, err, out)
	}
	return dst
}

func TestRepoServesFileAndHTTP(t *testing.T) {
	r := NewRepo(t)
	r.WriteFile("a/b.yaml", "id: b\n")
	r.WriteFile("gone.yaml", "x\n")
	r.Commit("first")
	r.Remove("gone.yaml")
	head := r.Commit("second")
	if len(head) != 40 || head != r.Head() {
		t.Fatalf("Commit returned %q, Head %q", head, r.Head())
	}

	for _, url := range []string{r.FileURL(), r.ServeHTTP(t)} {
		dst := gitClone(t, url)
		b, err := os.ReadFile(filepath.Join(dst, "a", "b.yaml"))
		if err != nil || string(b) != "id: b\n" {
			t.Fatalf("clone of %s: a/b.yaml = %q, %v", url, b, err)
		}
		if _, err := os.Stat(filepath.Join(dst, "gone.yaml")); !os.IsNotExist(err) {
			t.Fatalf("clone of %s still has gone.yaml", url)
		}
	}
}

func TestSwitch(t *testing.T) {
	r := NewRepo(t)
	main := r.Commit("on main")
	r.Switch("dev")
	dev := r.Commit("on dev")
	r.Switch("main")
	if r.Head() != main {
		t.Fatalf("main head = %s, want %s", r.Head(), main)
	}
	if got := r.Run("rev-parse", "dev"); got != dev {
		t.Fatalf("dev = %s, want %s", got, dev)
	}
	if branch := r.Run("branch", "--show-current"); strings.TrimSpace(branch) != "main" {
		t.Fatalf("current branch = %q", branch)
	}
}
