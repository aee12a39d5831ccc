package gitrepo

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/vigil-dev/vigil/internal/gittest"
)

func TestSyncFileURL(t *testing.T) {
	src := gittest.NewRepo(t)
	src.WriteFile("home.yaml", "id: home\n")
	src.WriteFile("api/login.yml", "id: login\n")
	first := src.Commit("add monitors")

	dir := filepath.Join(t.TempDir(), "cache", "monitors")
	r := New(src.FileURL(), "", dir, testLogger(t))
	snap := mustSync(t, r)
	if snap.Commit != first || snap.Branch != "main" || snap.Dir != dir {
		t.Fatalf("snapshot = %+v, want commit %s on main in %s", snap, first, dir)
	}
	if snap.Message != "add monitors" || snap.Author != "Vigil Test <test@vigil.invalid>" || snap.When.IsZero() {
		t.Fatalf("commit details = %q %q %v", snap.Message, snap.Author, snap.When)
	}
	if got := readFile(t, dir, "api/login.yml"); got != "id: login\n" {
		t.Fatalf("api/login.yml = %q", got)
	}

	src.WriteFile("home.yaml", "id: home2\n")
	src.Remove("api")
	second := src.Commit("edit and remove")
	snap = mustSync(t, r)
	if snap.Commit != second {
		t.Fatalf("commit after new commit = %s, want %s", snap.Commit, second)
	}
	if got := readFile(t, dir, "home.yaml"); got != "id: home2\n" {
		t.Fatalf("home.yaml = %q", got)
	}
	assertMissing(t, dir, "api/login.yml")
}

func TestSyncSmartHTTP(t *testing.T) {
	src := gittest.NewRepo(t)
	src.WriteFile("home.yaml", "id: home\n")
	first := src.Commit("first")
	url := src.ServeHTTP(t)

	dir := filepath.Join(t.TempDir(), "clone")
	r := New(url, "main", dir, testLogger(t))
	if snap := mustSync(t, r); snap.Commit != first {
		t.Fatalf("commit = %s, want %s", snap.Commit, first)
	}
	src.WriteFile("tcp.yaml", "id: tcp\n")
	second := src.Commit("second")
	if snap := mustSync(t, r); snap.Commit != second {
		t.Fatalf("commit = %s, want %s", snap.Commit, second)
	}
	if got := readFile(t, dir, "tcp.yaml"); got != "id: tcp\n" {
		t.Fatalf("tcp.yaml = %q", got)
	}
}

func TestSyncBranchSelection(t *testing.T) {
	src := gittest.NewRepo(t)
	src.WriteFile("env.yaml", "env: prod\n")
	mainHead := src.Commit("prod")
	src.Switch("staging")
	src.WriteFile("env.yaml", "env: staging\n")
	stagingHead := src.Commit("staging")
	src.Switch("main")

	staging := New(src.FileURL(), "staging", filepath.Join(t.TempDir(), "s"), testLogger(t))
	snap := mustSync(t, staging)
	if snap.Commit != stagingHead || snap.Branch != "staging" || readFile(t, snap.Dir, "env.yaml") != "env: staging\n" {
		t.Fatalf("staging snapshot = %+v", snap)
	}

	def := New(src.FileURL(), "", filepath.Join(t.TempDir(), "d"), testLogger(t))
	if snap := mustSync(t, def); snap.Commit != mainHead || snap.Branch != "main" {
		t.Fatalf("default branch snapshot = %+v, want main at %s", snap, mainHead)
	}

	// The default branch follows the remote's HEAD when it changes.
	src.Switch("staging")
	if snap := mustSync(t, def); snap.Commit != stagingHead || snap.Branch != "staging" {
		t.Fatalf("after HEAD moved: %+v, want staging at %s", snap, stagingHead)
	}
}

func TestSyncMissingBranch(t *testing.T) {
	src := gittest.NewRepo(t)
	src.Commit("empty")
	r := New(src.FileURL(), "nope", filepath.Join(t.TempDir(), "c"), testLogger(t))
	_, err := r.Sync(context.Background())
	if !errors.Is(err, ErrNoBranch) || !strings.Contains(err.Error(), "(branch nope)") {
		t.Fatalf("err = %v, want ErrNoBranch naming the branch", err)
	}
}

func TestSyncUnreachableRemote(t *testing.T) {
	url := closedPortURL(t)
	r := New(url, "main", filepath.Join(t.TempDir(), "c"), testLogger(t))
	_, err := r.Sync(context.Background())
	if err == nil {
		t.Fatal("Sync of a closed port succeeded")
	}
	if want := "fetching " + url + " (branch main): "; !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("err = %q, want prefix %q", err, want)
	}
	t.Logf("error: %v", err)
}

func TestSyncUnreachableKeepsPreviousClone(t *testing.T) {
	src := gittest.NewRepo(t)
	src.WriteFile("home.yaml", "id: home\n")
	src.Commit("first")
	dir := filepath.Join(t.TempDir(), "c")
	r := New(src.FileURL(), "", dir, testLogger(t))
	prev := mustSync(t, r)

	if err := os.RemoveAll(src.Dir()); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Sync(context.Background()); err == nil || !strings.Contains(err.Error(), src.FileURL()) {
		t.Fatalf("Sync of a removed remote: err = %v", err)
	}
	if got := readFile(t, prev.Dir, "home.yaml"); got != "id: home\n" {
		t.Fatalf("previous snapshot lost: home.yaml = %q", got)
	}

	// Another Repo pointed at the same dir with an unreachable URL leaves it too.
	other := New(closedPortURL(t), "", dir, testLogger(t))
	if _, err := other.Sync(context.Background()); err == nil {
		t.Fatal("Sync of a closed port succeeded")
	}
	if got := readFile(t, dir, "home.yaml"); got != "id: home\n" {
		t.Fatalf("clone dir damaged: home.yaml = %q", got)
	}
}

func TestSyncDiscardsLocalChanges(t *testing.T) {
	src := gittest.NewRepo(t)
	src.WriteFile("home.yaml", "id: home\n")
	head := src.Commit("first")
	dir := filepath.Join(t.TempDir(), "c")
	mustSync(t, New(src.FileURL(), "", dir, testLogger(t)))

	writeFile(t, dir, "home.yaml", "edited locally\n")
	writeFile(t, dir, "stray/extra.yaml", "id: stray\n")

	// A new Repo (a restarted process) reuses the clone and cleans it.
	snap := mustSync(t, New(src.FileURL(), "", dir, testLogger(t)))
	if snap.Commit != head {
		t.Fatalf("commit = %s, want %s", snap.Commit, head)
	}
	if got := readFile(t, dir, "home.yaml"); got != "id: home\n" {
		t.Fatalf("home.yaml = %q, local edit survived", got)
	}
	assertMissing(t, dir, "stray/extra.yaml")
}

func TestSyncFollowsRemoteReset(t *testing.T) {
	src := gittest.NewRepo(t)
	src.WriteFile("v.yaml", "v: 1\n")
	first := src.Commit("one")
	src.WriteFile("v.yaml", "v: 2\n")
	src.Commit("two")
	r := New(src.FileURL(), "", filepath.Join(t.TempDir(), "c"), testLogger(t))
	mustSync(t, r)

	src.Run("reset", "-q", "--hard", first)
	snap := mustSync(t, r)
	if snap.Commit != first || readFile(t, snap.Dir, "v.yaml") != "v: 1\n" {
		t.Fatalf("after remote reset: %+v", snap)
	}
}

func TestSyncReplacesCloneOfAnotherSource(t *testing.T) {
	a := gittest.NewRepo(t)
	a.WriteFile("a.yaml", "a\n")
	a.Commit("a")
	b := gittest.NewRepo(t)
	b.WriteFile("b.yaml", "b\n")
	bHead := b.Commit("b")

	dir := filepath.Join(t.TempDir(), "c")
	mustSync(t, New(a.FileURL(), "", dir, testLogger(t)))
	snap := mustSync(t, New(b.FileURL(), "", dir, testLogger(t)))
	if snap.Commit != bHead {
		t.Fatalf("commit = %s, want %s", snap.Commit, bHead)
	}
	assertMissing(t, dir, "a.yaml")
}

func TestSyncRefusesForeignDirectory(t *testing.T) {
	src := gittest.NewRepo(t)
	src.Commit("first")
	dir := t.TempDir()
	writeFile(t, dir, "precious.txt", "keep me\n")

	_, err := New(src.FileURL(), "", dir, testLogger(t)).Sync(context.Background())
	if err == nil || !strings.Contains(err.Error(), "not a usable git clone") {
		t.Fatalf("err = %v, want a refusal", err)
	}
	if got := readFile(t, dir, "precious.txt"); got != "keep me\n" {
		t.Fatalf("precious.txt = %q", got)
	}

	// Someone's own repository (no origin) is not a cache to replace either.
	own := gittest.NewRepo(t)
	own.WriteFile("mine.yaml", "id: mine\n")
	own.Commit("mine")
	_, err = New(src.FileURL(), "", own.Dir(), testLogger(t)).Sync(context.Background())
	if err == nil || !strings.Contains(err.Error(), "not a clone made by vigil") {
		t.Fatalf("err = %v, want a refusal", err)
	}
	if got := readFile(t, own.Dir(), "mine.yaml"); got != "id: mine\n" {
		t.Fatalf("mine.yaml = %q", got)
	}
}

func TestSyncConcurrent(t *testing.T) {
	src := gittest.NewRepo(t)
	src.WriteFile("home.yaml", "id: home\n")
	head := src.Commit("first")
	r := New(src.FileURL(), "", filepath.Join(t.TempDir(), "c"), testLogger(t))

	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			snap, err := r.Sync(context.Background())
			if err == nil && snap.Commit != head {
				err = errors.New("wrong commit " + snap.Commit)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestPasswordIsRedacted(t *testing.T) {
	url := strings.Replace(closedPortURL(t), "http://", "http://bot:s3cret-token@", 1)
	r := New(url, "", filepath.Join(t.TempDir(), "c"), testLogger(t))
	if strings.Contains(r.Source(), "s3cret-token") {
		t.Fatalf("Source() = %q leaks the password", r.Source())
	}
	_, err := r.Sync(context.Background())
	if err == nil || strings.Contains(err.Error(), "s3cret-token") {
		t.Fatalf("err = %v, want an error without the password", err)
	}
}

func TestSyncAuthenticationRequired(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
		http.Error(w, "denied", http.StatusUnauthorized)
	}))
	t.Cleanup(srv.Close)
	_, err := New(srv.URL+"/private.git", "main", filepath.Join(t.TempDir(), "c"), testLogger(t)).Sync(context.Background())
	want := "fetching " + srv.URL + "/private.git (branch main): authentication required"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("err = %v, want prefix %q", err, want)
	}
}

func TestSyncPlainPath(t *testing.T) {
	src := gittest.NewRepo(t)
	src.WriteFile("home.yaml", "id: home\n")
	head := src.Commit("first")
	snap := mustSync(t, New(src.Dir(), "", filepath.Join(t.TempDir(), "c"), testLogger(t)))
	if snap.Commit != head || readFile(t, snap.Dir, "home.yaml") != "id: home\n" {
		t.Fatalf("snapshot = %+v", snap)
	}
}
