package monitor

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// AlertsDir is the top-level directory of alert rules, which LoadDir skips.
const AlertsDir = "alerts"

// LoadDir reads every *.yaml and *.yml file under root, skipping hidden
// files and directories (such as .git) and the top-level alerts directory.
// File names in monitors and errors are relative to root, with forward
// slashes. Monitors are sorted by file, then line; a monitor whose id was
// already defined (in the walk's order) is reported and dropped.
func LoadDir(root string) ([]Monitor, []ValidationError) {
	var parsed []parsedMonitor
	var errs []ValidationError
	walkErr := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		rel := relativeName(root, path)
		if err != nil {
			errs = append(errs, ValidationError{File: rel, Message: fmt.Sprintf("cannot read: %v", err)})
			return skipOnError(d)
		}
		if skip, err := skipEntry(rel, path, d); skip || err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, ValidationError{File: rel, Message: fmt.Sprintf("cannot read: %v", err)})
			return nil
		}
		ms, ferrs := parseFile(rel, data)
		parsed = append(parsed, ms...)
		errs = append(errs, ferrs...)
		return nil
	})
	if walkErr != nil {
		errs = append(errs, ValidationError{File: ".", Message: fmt.Sprintf("cannot walk %s: %v", root, walkErr)})
	}
	sortParsed(parsed)
	monitors, dups := dedupe(parsed)
	errs = append(errs, dups...)
	sortErrors(errs)
	return monitors, errs
}

// skipEntry decides whether an entry is not a monitor file; for a directory
// it returns fs.SkipDir when the whole directory is to be skipped.
func skipEntry(rel, path string, d fs.DirEntry) (bool, error) {
	hidden := rel != "." && strings.HasPrefix(d.Name(), ".")
	if d.IsDir() {
		if hidden || rel == AlertsDir {
			return true, fs.SkipDir
		}
		return true, nil
	}
	if hidden || !isYAMLName(d.Name()) {
		return true, nil
	}
	if d.Type()&fs.ModeSymlink != 0 {
		// a link to a directory is not followed, as WalkDir does not follow it either
		info, err := os.Stat(path)
		if err == nil && info.IsDir() {
			return true, nil
		}
	}
	return false, nil
}

// skipOnError goes on with the rest of the walk after an unreadable entry.
func skipOnError(d fs.DirEntry) error {
	if d != nil && d.IsDir() {
		return fs.SkipDir
	}
	return nil
}

func isYAMLName(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

func relativeName(root, path string) string {
	rel, err := filepath.Rel(root, path)
	if err != nil {
		rel = path
	}
	return filepath.ToSlash(rel)
}
