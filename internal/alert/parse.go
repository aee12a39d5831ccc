package alert

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vigil-dev/vigil/internal/monitor"
)

// parsed is the rules and channels of one or more files, with positions.
type parsed struct {
	rules    []*parsedRule
	channels []*parsedChannel
	// channelNames holds every channel name written, valid or not, so that
	// a rule naming a broken channel is not reported twice.
	channelNames map[string]bool
}

type parsedChannel struct {
	Channel
	namePos Position
}

// Parse reads the rules and channels of one file. A rule or channel with a
// problem is reported and left out; the others are returned.
func Parse(file string, data []byte) (Set, []monitor.ValidationError) {
	p := &parsed{channelNames: map[string]bool{}}
	errs := p.file(file, data)
	set, more := p.finish()
	return set, sortErrors(append(errs, more...))
}

// LoadDir reads every *.yaml and *.yml file under root/alerts, at any
// depth, skipping hidden files and directories. File names are relative to
// root with forward slashes, as for monitors.
func LoadDir(root string) (Set, []monitor.ValidationError) {
	p := &parsed{channelNames: map[string]bool{}}
	var errs []monitor.ValidationError
	dir := filepath.Join(root, monitor.AlertsDir)
	walkErr := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		rel := relativeName(root, path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == dir {
				return fs.SkipAll // no alerts directory: no rules
			}
			errs = append(errs, monitor.ValidationError{File: rel, Message: fmt.Sprintf("cannot read: %v", err)})
			return nil
		}
		hidden := path != dir && strings.HasPrefix(d.Name(), ".")
		if d.IsDir() {
			if hidden {
				return fs.SkipDir
			}
			return nil
		}
		ext := strings.ToLower(filepath.Ext(d.Name()))
		if hidden || (ext != ".yaml" && ext != ".yml") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, monitor.ValidationError{File: rel, Message: fmt.Sprintf("cannot read: %v", err)})
			return nil
		}
		errs = append(errs, p.file(rel, data)...)
		return nil
	})
	if walkErr != nil {
		errs = append(errs, monitor.ValidationError{File: monitor.AlertsDir, Message: fmt.Sprintf("cannot walk: %v", walkErr)})
	}
	set, more := p.finish()
	return set, sortErrors(append(errs, more...))
}

func relativeName(root, path string) string {
	rel, err := filepath.Rel(root, path)
	if err != nil {
		rel = path
	}
	return filepath.ToSlash(rel)
}

// file adds the rules and channels of one file.
func (p *parsed) file(name string, data []byte) []monitor.ValidationError {
	r := &report{file: name}
	if len(data) > monitor.MaxFileSize {
		r.add(Position{}, "file is larger than %d bytes", monitor.MaxFileSize)
		return r.errs
	}
	roots, err := parseYAML(data)
	for _, root := range roots {
		p.document(r, root)
	}
	var perr *posError
	if errors.As(err, &perr) {
		r.add(perr.pos, "%s", perr.msg)
	}
	return r.errs
}

func (p *parsed) document(r *report, root *node) {
	if root.kind != mappingNode {
		r.add(root.pos, "expected a mapping with rules: and channels:, got %s", describe(root))
		return
	}
	for _, kv := range root.pairs {
		switch kv.key.text {
		case "rules", "channels":
			if kv.value.null {
				continue
			}
			if kv.value.kind != sequenceNode {
				r.add(kv.value.pos, "%s: expected a list, got %s", kv.key.text, describe(kv.value))
				continue
			}
			p.items(r, kv.key.text, kv.value.items)
		default:
			msg := fmt.Sprintf("unknown top-level field %q", kv.key.text)
			if s := monitor.Suggest(kv.key.text, []string{"rules", "channels"}); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			r.add(kv.key.pos, "%s; expected rules or channels", msg)
		}
	}
}

func (p *parsed) items(r *report, field string, items []*node) {
	for i, n := range items {
		if field == "rules" {
			if pr := decodeRule(r, n, i); pr != nil {
				p.rules = append(p.rules, pr)
			}
			continue
		}
		if name := itemName(n); name != "" {
			p.channelNames[name] = true
		}
		if pc := decodeChannel(r, n, i); pc != nil {
			p.channels = append(p.channels, pc)
		}
	}
}

// finish drops duplicate names and checks channel references.
func (p *parsed) finish() (Set, []monitor.ValidationError) {
	var errs []monitor.ValidationError
	set := Set{Rules: []Rule{}, Channels: []Channel{}}
	firstChannel := map[string]Source{}
	for _, c := range p.channels {
		if src, dup := firstChannel[c.Name]; dup {
			errs = append(errs, duplicate(c.Source.File, c.namePos, "channel", c.Name, src))
			continue
		}
		firstChannel[c.Name] = c.Source
		set.Channels = append(set.Channels, c.Channel)
	}
	firstRule := map[string]Source{}
	for _, pr := range p.rules {
		if src, dup := firstRule[pr.Name]; dup {
			errs = append(errs, duplicate(pr.Source.File, pr.namePos, "rule", pr.Name, src))
			continue
		}
		firstRule[pr.Name] = pr.Source
		if cerrs := p.checkChannels(pr); len(cerrs) > 0 {
			errs = append(errs, cerrs...)
			continue
		}
		set.Rules = append(set.Rules, pr.Rule)
	}
	return set, errs
}

func duplicate(file string, pos Position, what, name string, first Source) monitor.ValidationError {
	return monitor.ValidationError{File: file, Line: pos.Line, Column: pos.Column,
		Message: fmt.Sprintf("duplicate %s name %q: already defined at %s:%d", what, name, first.File, first.Line)}
}

func (p *parsed) checkChannels(pr *parsedRule) []monitor.ValidationError {
	var errs []monitor.ValidationError
	for i, name := range pr.Channels {
		if !p.channelNames[name] {
			pos := pr.channelsPos[i]
			errs = append(errs, monitor.ValidationError{File: pr.Source.File, Line: pos.Line, Column: pos.Column,
				Message: fmt.Sprintf("rule %q: channels: unknown channel %q", pr.Name, name)})
		}
	}
	return errs
}

// ValidateAgainst reports rules that name monitors that do not exist.
func ValidateAgainst(s Set, monitors []monitor.Monitor) []monitor.ValidationError {
	ids := make(map[string]bool, len(monitors))
	for _, m := range monitors {
		ids[m.ID] = true
	}
	var errs []monitor.ValidationError
	for _, r := range s.Rules {
		for i, id := range r.Monitors {
			if ids[id] {
				continue
			}
			pos := Position{Line: r.Source.Line, Column: r.Source.Column}
			if i < len(r.Source.Monitors) {
				pos = r.Source.Monitors[i]
			}
			errs = append(errs, monitor.ValidationError{File: r.Source.File, Line: pos.Line, Column: pos.Column,
				MonitorID: id, Message: fmt.Sprintf("rule %q: monitors: unknown monitor %q", r.Name, id)})
		}
	}
	return sortErrors(errs)
}

func sortErrors(errs []monitor.ValidationError) []monitor.ValidationError {
	slices.SortStableFunc(errs, func(a, b monitor.ValidationError) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return errs
}

// checkURL accepts an absolute http(s) URL or a secret reference.
func checkURL(it *item, field string) {
	s := it.str(field)
	if !it.has(field) || strings.HasPrefix(s, "${") {
		return
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		it.fail(field, "expected an absolute http or https URL, got %q", s)
	}
}
