package gitrepo

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/vigil-dev/vigil/internal/gittest"
)

func TestLocalModeCommitFollowsContent(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "home.yaml", "id: home\n")
	writeFile(t, dir, "api/login.yml", "id: login\n")
	r := NewLocal(dir, testLogger(t))

	first := mustSync(t, r)
	if !regexp.MustCompile(`^local-[0-9a-f]{12}$`).MatchString(first.Commit) {
		t.Fatalf("commit = %q", first.Commit)
	}
	if first.Dir != dir || first.When.IsZero() {
		t.Fatalf("snapshot = %+v", first)
	}
	if again := mustSync(t, r); again.Commit != first.Commit {
		t.Fatalf("commit changed without edits: %s -> %s", first.Commit, again.Commit)
	}

	// Files that are not monitors, and hidden directories, do not count.
	writeFile(t, dir, "README.md", "docs\n")
	writeFile(t, dir, ".github/ci.yaml", "on: push\n")
	writeFile(t, dir, ".draft.yaml", "id: draft\n")
	if snap := mustSync(t, r); snap.Commit != first.Commit {
		t.Fatalf("commit changed on non-monitor files: %s", snap.Commit)
	}

	steps := []struct {
		name string
		edit func()
	}{
		{"edit", func() { writeFile(t, dir, "home.yaml", "id: home2\n") }},
		{"add", func() { writeFile(t, dir, "new.yaml", "id: new\n") }},
		{"rename", func() {
			if err := os.Rename(filepath.Join(dir, "new.yaml"), filepath.Join(dir, "new2.yaml")); err != nil {
				t.Fatal(err)
			}
		}},
		{"remove", func() { os.Remove(filepath.Join(dir, "api", "login.yml")) }},
	}
	seen := map[string]string{first.Commit: "initial"}
	for _, step := range steps {
		step.edit()
		snap := mustSync(t, r)
		if prev, dup := seen[snap.Commit]; dup {
			t.Fatalf("after %s: commit %s same as after %s", step.name, snap.Commit, prev)
		}
		seen[snap.Commit] = step.name
	}
}

func TestLocalModeMissingDir(t *testing.T) {
	r := NewLocal(filepath.Join(t.TempDir(), "gone"), testLogger(t))
	if _, err := r.Sync(t.Context()); err == nil {
		t.Fatal("Sync of a missing directory succeeded")
	}
}

func TestOpenChoosesMode(t *testing.T) {
	src := gittest.NewRepo(t)
	src.WriteFile("monitors/home.yaml", "id: home\n")
	src.Commit("first")
	plain := t.TempDir()
	cache := filepath.Join(t.TempDir(), "cache")

	tests := []struct {
		source    string
		wantLocal bool
		wantURL   string
	}{
		{source: src.Dir(), wantURL: src.FileURL()},
		{source: filepath.Join(src.Dir(), "monitors"), wantLocal: true},
		{source: plain, wantLocal: true},
		{source: src.FileURL(), wantURL: src.FileURL()},
		{source: "https://example.invalid/monitors.git", wantURL: "https://example.invalid/monitors.git"},
		{source: "git@example.invalid:org/monitors.git", wantURL: "git@example.invalid:org/monitors.git"},
	}
	for _, tt := range tests {
		r, err := Open(tt.source, "", cache, testLogger(t))
		if err != nil {
			t.Errorf("Open(%s): %v", tt.source, err)
			continue
		}
		if r.Local() != tt.wantLocal || IsLocalDir(tt.source) != tt.wantLocal {
			t.Errorf("Open(%s): Local() = %v, IsLocalDir = %v, want %v", tt.source, r.Local(), IsLocalDir(tt.source), tt.wantLocal)
		}
		if !tt.wantLocal && r.Source() != tt.wantURL {
			t.Errorf("Open(%s): Source() = %s, want %s", tt.source, r.Source(), tt.wantURL)
		}
	}
}

func TestOpenRejects(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file.yaml")
	writeFile(t, filepath.Dir(file), "file.yaml", "id: x\n")
	for _, source := range []string{"", filepath.Join(t.TempDir(), "missing"), "./missing-dir", file} {
		if _, err := Open(source, "", t.TempDir(), testLogger(t)); err == nil {
			t.Errorf("Open(%q) succeeded", source)
		}
	}
	if _, err := Open("https://example.invalid/m.git", "", "", testLogger(t)); err == nil {
		t.Error("Open of a URL without a cache directory succeeded")
	}
}

func TestOpenGitRootSyncsCommittedState(t *testing.T) {
	src := gittest.NewRepo(t)
	src.WriteFile("home.yaml", "id: home\n")
	head := src.Commit("first")
	src.WriteFile("home.yaml", "uncommitted\n")

	r, err := Open(src.Dir(), "", filepath.Join(t.TempDir(), "cache"), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	snap := mustSync(t, r)
	if snap.Commit != head || readFile(t, snap.Dir, "home.yaml") != "id: home\n" {
		t.Fatalf("snapshot = %+v", snap)
	}
}

func TestOpenSharesCacheDir(t *testing.T) {
	cache := t.TempDir()
	var repos []*Repo
	var heads []string
	for _, name := range []string{"a", "b"} {
		src := gittest.NewRepo(t)
		src.WriteFile(name+".yaml", "id: "+name+"\n")
		heads = append(heads, src.Commit(name))
		r, err := Open(src.FileURL(), "", cache, testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		repos = append(repos, r)
	}
	for round := range 2 {
		for i, r := range repos {
			snap := mustSync(t, r)
			if snap.Commit != heads[i] || filepath.Dir(snap.Dir) != cache {
				t.Fatalf("round %d, repo %d: %+v", round, i, snap)
			}
		}
	}
}
