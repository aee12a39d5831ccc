package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/memory"
)

const remoteName = "origin"

// syncGit lists the remote branch head (one round trip when nothing changed),
// clones or fetches only when the commit is missing, and forces the worktree
// to that commit so that local edits in the cache never block an update.
func (r *Repo) syncGit(ctx context.Context) (Snapshot, error) {
	branch, head, err := r.remoteHead(ctx)
	if err != nil {
		return Snapshot{}, r.remoteError("fetching", err)
	}
	if err := r.openClone(); err != nil {
		return Snapshot{}, err
	}
	switch {
	case r.repo == nil:
		err = r.clone(ctx, branch)
	case !r.hasCommit(head):
		err = r.fetch(ctx, branch)
	default:
		err = r.setTracking(branch, head)
	}
	if err != nil {
		return Snapshot{}, err
	}
	commit, err := r.tracking(branch)
	if err != nil {
		return Snapshot{}, err
	}
	if err := r.checkout(commit); err != nil {
		return Snapshot{}, err
	}
	return r.describe(commit, branch)
}

// remoteHead resolves the branch (the remote's HEAD when none is configured)
// and its commit from the remote's advertised references.
func (r *Repo) remoteHead(ctx context.Context) (string, plumbing.Hash, error) {
	remote := git.NewRemote(memory.NewStorage(), &config.RemoteConfig{
		Name: remoteName,
		URLs: []string{r.source},
	})
	refs, err := remote.ListContext(ctx, &git.ListOptions{})
	if err != nil {
		return "", plumbing.ZeroHash, err
	}
	return pickBranch(refs, r.branch)
}

// openClone opens the clone left in dir by an earlier run when it is a clone
// of the same source, and removes it when it is a clone of another one.
// Anything else that is not empty (a bare repository, a damaged clone, other
// files) is never removed: dir may have been misconfigured.
func (r *Repo) openClone() error {
	if r.repo != nil {
		return nil
	}
	repo, err := git.PlainOpen(r.dir)
	if err == nil {
		return r.adoptClone(repo)
	}
	entries, readErr := os.ReadDir(r.dir)
	if errors.Is(readErr, os.ErrNotExist) || (readErr == nil && len(entries) == 0) {
		return nil
	}
	if readErr != nil {
		return fmt.Errorf("opening clone directory %s: %w", r.dir, readErr)
	}
	return fmt.Errorf("cloning %s: directory %s is not empty and is not a usable git clone (%v); remove it to clone again",
		r.Source(), r.dir, err)
}

// adoptClone reuses repo, or removes it when it was cloned from another source.
func (r *Repo) adoptClone(repo *git.Repository) error {
	origin := originURL(repo)
	if origin == r.source {
		r.logger.Info("reusing existing clone", "source", r.Source(), "dir", r.dir)
		r.repo = repo
		return nil
	}
	if _, err := os.Stat(filepath.Join(r.dir, git.GitDirName)); err != nil || origin == "" {
		return fmt.Errorf("cloning %s: directory %s holds a git repository that is not a clone made by vigil; remove it to clone again",
			r.Source(), r.dir)
	}
	r.logger.Warn("replacing clone of another source", "dir", r.dir, "previous", redact(origin))
	return r.removeClone()
}

func (r *Repo) removeClone() error {
	if err := os.RemoveAll(r.dir); err != nil {
		return fmt.Errorf("removing stale clone %s: %w", r.dir, err)
	}
	return nil
}

func originURL(repo *git.Repository) string {
	remote, err := repo.Remote(remoteName)
	if err != nil || len(remote.Config().URLs) == 0 {
		return ""
	}
	return remote.Config().URLs[0]
}

// clone clones into a temporary sibling of dir and renames it into place, so
// that an interrupted clone never leaves a half-filled dir behind.
func (r *Repo) clone(ctx context.Context, branch string) error {
	parent := filepath.Dir(r.dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("creating clone directory %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(r.dir)+".clone-")
	if err != nil {
		return fmt.Errorf("creating clone directory in %s: %w", parent, err)
	}
	defer os.RemoveAll(tmp)
	_, err = git.PlainCloneContext(ctx, tmp, false, &git.CloneOptions{
		URL:           r.source,
		RemoteName:    remoteName,
		ReferenceName: plumbing.NewBranchReferenceName(branch),
		SingleBranch:  true,
		Tags:          git.NoTags,
	})
	if err != nil {
		return r.remoteError("cloning", err)
	}
	if err := os.Remove(r.dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("replacing empty clone directory %s: %w", r.dir, err)
	}
	if err := os.Rename(tmp, r.dir); err != nil {
		return fmt.Errorf("moving clone of %s into %s: %w", r.Source(), r.dir, err)
	}
	repo, err := git.PlainOpen(r.dir)
	if err != nil {
		return fmt.Errorf("opening clone %s: %w", r.dir, err)
	}
	r.logger.Info("cloned monitors repository", "source", r.Source(), "branch", branch, "dir", r.dir)
	r.repo = repo
	return nil
}

func (r *Repo) fetch(ctx context.Context, branch string) error {
	spec := config.RefSpec(fmt.Sprintf("+%s:%s",
		plumbing.NewBranchReferenceName(branch), plumbing.NewRemoteReferenceName(remoteName, branch)))
	err := r.repo.FetchContext(ctx, &git.FetchOptions{
		RemoteName: remoteName,
		RemoteURL:  r.source,
		RefSpecs:   []config.RefSpec{spec},
		Tags:       git.NoTags,
		Force:      true,
	})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return r.remoteError("fetching", err)
	}
	return nil
}

func (r *Repo) hasCommit(h plumbing.Hash) bool {
	_, err := r.repo.CommitObject(h)
	return err == nil
}

// setTracking moves the remote-tracking branch to a commit already present,
// which is also how a remote branch reset to an older commit is followed.
func (r *Repo) setTracking(branch string, h plumbing.Hash) error {
	ref := plumbing.NewHashReference(plumbing.NewRemoteReferenceName(remoteName, branch), h)
	if err := r.repo.Storer.SetReference(ref); err != nil {
		return fmt.Errorf("updating %s in %s: %w", ref.Name(), r.dir, err)
	}
	return nil
}

func (r *Repo) tracking(branch string) (plumbing.Hash, error) {
	name := plumbing.NewRemoteReferenceName(remoteName, branch)
	ref, err := r.repo.Reference(name, true)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("reading %s in %s: %w", name, r.dir, err)
	}
	return ref.Hash(), nil
}

// checkout detaches HEAD at h, discards local changes and removes untracked
// files, so the worktree holds exactly the commit.
func (r *Repo) checkout(h plumbing.Hash) error {
	wt, err := r.repo.Worktree()
	if err != nil {
		return fmt.Errorf("opening worktree %s: %w", r.dir, err)
	}
	if err := wt.Checkout(&git.CheckoutOptions{Hash: h, Force: true}); err != nil {
		return fmt.Errorf("checking out %s in %s: %w", h, r.dir, err)
	}
	if err := wt.Clean(&git.CleanOptions{Dir: true}); err != nil {
		return fmt.Errorf("removing untracked files in %s: %w", r.dir, err)
	}
	return nil
}

func (r *Repo) describe(h plumbing.Hash, branch string) (Snapshot, error) {
	c, err := r.repo.CommitObject(h)
	if err != nil {
		return Snapshot{}, fmt.Errorf("reading commit %s in %s: %w", h, r.dir, err)
	}
	return Snapshot{
		Dir:     r.dir,
		Commit:  h.String(),
		Branch:  branch,
		Message: strings.TrimSpace(c.Message),
		Author:  fmt.Sprintf("%s <%s>", c.Author.Name, c.Author.Email),
		When:    c.Author.When,
	}, nil
}

// remoteError names the source and the branch, hiding any password.
func (r *Repo) remoteError(doing string, err error) error {
	branch := "default branch"
	if r.branch != "" {
		branch = "branch " + r.branch
	}
	return redactError(fmt.Errorf("%s %s (%s): %w", doing, r.Source(), branch, err), password(r.source))
}
