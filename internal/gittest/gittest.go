// Package gittest creates real git repositories for tests, with the git
// binary, and serves them over the file and smart-HTTP transports.
package gittest

import (
	"bytes"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Repo is a non-bare repository in a test's temporary directory.
type Repo struct {
	t   testing.TB
	git string
	dir string
}

// NewRepo creates an empty repository on branch main, with a committer
// configured. It skips the test when git is not installed.
func NewRepo(t testing.TB) *Repo {
	t.Helper()
	bin, err := exec.LookPath("git")
	if err != nil {
		t.Skipf("gittest: skipping, the git binary is not installed: %v", err)
	}
	// The parent directory is the project root that ServeHTTP exports, so the
	// repository gets a readable name in URLs.
	dir := filepath.Join(t.TempDir(), "monitors")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatalf("gittest: creating %s: %v", dir, err)
	}
	r := &Repo{t: t, git: bin, dir: dir}
	r.Run("init", "-q", "-b", "main")
	r.Run("config", "user.name", "Vigil Test")
	r.Run("config", "user.email", "test@vigil.invalid")
	r.Run("config", "commit.gpgsign", "false")
	return r
}

// Dir is the repository's worktree.
func (r *Repo) Dir() string { return r.dir }

// FileURL is the file:// URL of the repository.
func (r *Repo) FileURL() string { return "file://" + filepath.ToSlash(r.dir) }

// WriteFile writes content to rel (slash-separated), creating directories.
func (r *Repo) WriteFile(rel, content string) {
	r.t.Helper()
	path := filepath.Join(r.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		r.t.Fatalf("gittest: creating directory of %s: %v", rel, err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		r.t.Fatalf("gittest: writing %s: %v", rel, err)
	}
}

// Remove deletes rel from the worktree; the next Commit records it.
func (r *Repo) Remove(rel string) {
	r.t.Helper()
	if err := os.RemoveAll(filepath.Join(r.dir, filepath.FromSlash(rel))); err != nil {
		r.t.Fatalf("gittest: removing %s: %v", rel, err)
	}
}

// Commit stages every change and commits it, returning the full hash.
// Empty commits are allowed so tests can move a branch without edits.
func (r *Repo) Commit(msg string) string {
	r.t.Helper()
	r.Run("add", "-A")
	r.Run("commit", "-q", "--allow-empty", "-m", msg)
	return r.Head()
}

// Head is the full hash of the checked-out commit.
func (r *Repo) Head() string {
	r.t.Helper()
	return r.Run("rev-parse", "HEAD")
}

// Switch checks out branch, creating it at the current commit when missing.
func (r *Repo) Switch(branch string) {
	r.t.Helper()
	if r.exists("refs/heads/" + branch) {
		r.Run("switch", "-q", branch)
		return
	}
	r.Run("switch", "-q", "-c", branch)
}

func (r *Repo) exists(ref string) bool {
	cmd := r.command("rev-parse", "--verify", "--quiet", ref)
	return cmd.Run() == nil
}

// Run runs git with args in the repository and returns its trimmed stdout.
func (r *Repo) Run(args ...string) string {
	r.t.Helper()
	cmd := r.command(args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		r.t.Fatalf("gittest: git %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(stdout.String())
}

func (r *Repo) command(args ...string) *exec.Cmd {
	cmd := exec.Command(r.git, args...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), isolatedEnv()...)
	return cmd
}

// isolatedEnv keeps the user's and the system's git configuration (signing,
// hooks, templates) out of the tests.
func isolatedEnv() []string {
	return []string{
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=" + os.DevNull,
		"GIT_TERMINAL_PROMPT=0",
	}
}

// ServeHTTP serves the repository read-only over smart HTTP with
// `git http-backend` and returns its clone URL. The server stops when the
// test ends.
func (r *Repo) ServeHTTP(t testing.TB) string {
	t.Helper()
	h := &cgi.Handler{
		Path: r.git,
		Args: []string{"http-backend"},
		Dir:  r.dir,
		Env: append([]string{
			"GIT_PROJECT_ROOT=" + filepath.Dir(r.dir),
			"GIT_HTTP_EXPORT_ALL=1",
		}, isolatedEnv()...),
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + "/" + filepath.Base(r.dir)
}
