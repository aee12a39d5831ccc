// Package gitrepo keeps a local copy of the monitors repository: a clone that
// every Sync brings to the head of the remote branch, or, during development,
// a plain local directory whose content is hashed into a pseudo commit.
package gitrepo

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/go-git/go-git/v5"
)

// Snapshot is the state of the monitors repository after a Sync.
type Snapshot struct {
	// Dir holds the files. It is the same directory on every Sync of a Repo,
	// so its content is only stable until the next Sync.
	Dir string
	// Commit is the full commit hash, or "local-<12 hex>" in local mode.
	Commit  string
	Branch  string
	Message string
	Author  string // "Name <email>"
	When    time.Time
}

// Repo is one monitors source. Its methods are safe for concurrent use; Syncs
// of one Repo are serialized.
type Repo struct {
	source string // URL (git mode) or directory (local mode)
	branch string // "" is the remote's default branch
	dir    string // clone directory (git mode)
	local  bool
	logger *slog.Logger

	mu   sync.Mutex
	repo *git.Repository // nil until the clone is opened
	last Snapshot
}

// New returns a Repo that clones url into dir on its first Sync and fetches
// on the next ones. A dir that already holds a clone of url is reused.
func New(url, branch, dir string, logger *slog.Logger) *Repo {
	return &Repo{source: url, branch: branch, dir: dir, logger: componentLogger(logger)}
}

// NewLocal returns a Repo over a plain directory, used as it is.
func NewLocal(path string, logger *slog.Logger) *Repo {
	return &Repo{source: path, local: true, logger: componentLogger(logger)}
}

// Open chooses the mode from source. An existing directory is used as it is
// unless it is the root of a git repository, which is then cloned through
// file:// like any remote (so only committed changes count). Anything else
// (https://, ssh://, git@host:path, file://) is a git URL. Clones go to a
// subdirectory of cacheDir named after the source and branch, so one cacheDir
// serves any number of sources.
func Open(source, branch, cacheDir string, logger *slog.Logger) (*Repo, error) {
	if source == "" {
		return nil, fmt.Errorf("opening monitors source: no source given")
	}
	info, err := os.Stat(source)
	switch {
	case err == nil && info.IsDir():
		abs, err := filepath.Abs(source)
		if err != nil {
			return nil, fmt.Errorf("opening monitors source %s: %w", source, err)
		}
		if !isGitRoot(abs) {
			return NewLocal(abs, logger), nil
		}
		source = "file://" + filepath.ToSlash(abs)
	case err == nil:
		return nil, fmt.Errorf("opening monitors source %s: not a directory", source)
	case looksLikePath(source):
		return nil, fmt.Errorf("opening monitors source %s: %w", source, err)
	}
	if cacheDir == "" {
		return nil, fmt.Errorf("opening monitors source %s: no cache directory for the clone", redact(source))
	}
	return New(source, branch, filepath.Join(cacheDir, cloneDirName(source, branch)), logger), nil
}

// IsLocalDir reports whether path is an existing directory that is not the
// root of a git repository, i.e. one that Open uses in local mode.
func IsLocalDir(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir() && !isGitRoot(path)
}

// Local reports whether the Repo reads a plain directory instead of git.
func (r *Repo) Local() bool { return r.local }

// Source is the URL or directory, with any password removed.
func (r *Repo) Source() string { return redact(r.source) }

// Sync brings the local copy up to date and describes it. On error the
// previous copy is left as it was.
func (r *Repo) Sync(ctx context.Context) (Snapshot, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var (
		snap Snapshot
		err  error
	)
	if r.local {
		snap, err = r.syncLocal()
	} else {
		snap, err = r.syncGit(ctx)
	}
	if err != nil {
		return Snapshot{}, err
	}
	if snap.Commit != r.last.Commit {
		r.logger.Info("monitors source updated", "source", r.Source(),
			"commit", snap.Commit, "previous", r.last.Commit, "branch", snap.Branch)
	} else {
		r.logger.Debug("monitors source unchanged", "source", r.Source(), "commit", snap.Commit)
	}
	r.last = snap
	return snap, nil
}

func componentLogger(l *slog.Logger) *slog.Logger {
	if l == nil {
		l = slog.Default()
	}
	return l.With("component", "gitrepo")
}
