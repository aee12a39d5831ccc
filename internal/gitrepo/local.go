package gitrepo

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// syncLocal describes a plain directory. The pseudo commit is a hash of the
// monitor files so that the rest of vigil sees edits as new commits.
func (r *Repo) syncLocal() (Snapshot, error) {
	files, err := monitorFiles(r.source)
	if err != nil {
		return Snapshot{}, fmt.Errorf("reading monitors directory %s: %w", r.source, err)
	}
	sum, latest, err := hashFiles(r.source, files)
	if err != nil {
		return Snapshot{}, fmt.Errorf("hashing monitors directory %s: %w", r.source, err)
	}
	return Snapshot{
		Dir:     r.source,
		Commit:  "local-" + sum[:12],
		Message: fmt.Sprintf("local directory (%d files)", len(files)),
		When:    latest,
	}, nil
}

// monitorFiles lists the *.yaml and *.yml files under root as sorted
// slash-separated relative paths. Hidden files and directories (.git,
// .github) are skipped, as the monitor loader skips them.
func monitorFiles(root string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		hidden := path != root && strings.HasPrefix(d.Name(), ".")
		switch {
		case hidden && d.IsDir():
			return filepath.SkipDir
		case hidden || d.IsDir():
			return nil
		}
		if ext := filepath.Ext(path); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	sort.Strings(files)
	return files, err
}

// hashFiles returns the hex sha256 over the names and contents of files and
// the latest modification time among them.
func hashFiles(root string, files []string) (string, time.Time, error) {
	h := sha256.New()
	var latest time.Time
	for _, rel := range files {
		mod, err := hashFile(h, root, rel)
		if err != nil {
			return "", time.Time{}, err
		}
		if mod.After(latest) {
			latest = mod
		}
	}
	return hex.EncodeToString(h.Sum(nil)), latest, nil
}

// hashFile writes name and content with their lengths, so that moving bytes
// between a name and a content cannot give the same hash.
func hashFile(h hash.Hash, root, rel string) (time.Time, error) {
	path := filepath.Join(root, filepath.FromSlash(rel))
	content, err := os.ReadFile(path)
	if err != nil {
		return time.Time{}, err
	}
	info, err := os.Stat(path)
	if err != nil {
		return time.Time{}, err
	}
	for _, part := range [][]byte{[]byte(rel), content} {
		h.Write([]byte(strconv.Itoa(len(part)) + ":"))
		h.Write(part)
	}
	return info.ModTime(), nil
}
