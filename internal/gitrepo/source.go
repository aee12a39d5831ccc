package gitrepo

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"path"
	"strings"

	"github.com/go-git/go-git/v5"
)

// isGitRoot reports whether dir is the top of a git repository (a worktree
// with .git, or a bare repository), not merely inside one.
func isGitRoot(dir string) bool {
	_, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: false})
	return err == nil
}

// looksLikePath tells a filesystem path from a URL or scp-like address
// (git@host:org/repo.git), where a colon comes before any slash.
func looksLikePath(source string) bool {
	if strings.Contains(source, "://") {
		return false
	}
	colon := strings.Index(source, ":")
	slash := strings.Index(source, "/")
	scpLike := colon > 0 && (slash < 0 || colon < slash)
	return !scpLike
}

// redact hides the password of a URL such as https://user:token@host/repo.
func redact(source string) string {
	u, err := url.Parse(source)
	if err != nil || u.User == nil {
		return source
	}
	return u.Redacted()
}

// password returns the password embedded in a URL, if any.
func password(source string) string {
	u, err := url.Parse(source)
	if err != nil || u.User == nil {
		return ""
	}
	p, _ := u.User.Password()
	return p
}

// redactedError hides a secret that a lower layer may have put in a message,
// while keeping the error chain for errors.Is.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func redactError(err error, secret string) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return &redactedError{msg: strings.ReplaceAll(err.Error(), secret, "xxxxx"), err: err}
}

// cloneDirName is a readable, stable directory name for a source and branch:
// the repository's name and a hash that tells sources of the same name apart.
func cloneDirName(source, branch string) string {
	sum := sha256.Sum256([]byte(source + "\x00" + branch))
	base := strings.TrimSuffix(path.Base(strings.TrimRight(strings.ReplaceAll(source, ":", "/"), "/")), ".git")
	clean := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '_'
	}, base)
	if len(clean) > 40 {
		clean = clean[:40]
	}
	if clean == "" || strings.Trim(clean, "_") == "" {
		clean = "repo"
	}
	return clean + "-" + hex.EncodeToString(sum[:6])
}
