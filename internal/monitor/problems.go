package monitor

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// problem is a ValidationError before it knows its file and monitor.
type problem struct {
	path string // the path at fault, "" for the document
	pos  position
	msg  string
}

// problems collects the problems of one document. Once a path has a problem,
// later problems at that path or below it are dropped: a field that could
// not be decoded would otherwise also be reported as missing or invalid.
type problems struct {
	list []problem
}

// maxProblems bounds the report of one document: past it, the rest are
// noise caused by the first ones.
const maxProblems = 50

func (p *problems) add(path string, pos position, format string, args ...any) {
	if len(p.list) > maxProblems || p.covers(path) {
		return
	}
	if len(p.list) == maxProblems {
		p.list = append(p.list, problem{path: "", pos: pos, msg: fmt.Sprintf("more than %d problems; stopping here", maxProblems)})
		return
	}
	p.list = append(p.list, problem{path: path, pos: pos, msg: fmt.Sprintf(format, args...)})
}

// covers reports whether path or one of its ancestors already has a problem.
// The document itself ("") covers nothing, so that one problem at the root
// does not hide the others.
func (p *problems) covers(path string) bool {
	for _, q := range p.list {
		if q.path != "" && (path == q.path || strings.HasPrefix(path, q.path+".") || strings.HasPrefix(path, q.path+"[")) {
			return true
		}
	}
	return false
}

func (p *problems) empty() bool { return len(p.list) == 0 }

func (p *problems) errors(file, monitorID string) []ValidationError {
	out := make([]ValidationError, 0, len(p.list))
	for _, q := range p.list {
		out = append(out, ValidationError{
			File:      file,
			Line:      q.pos.line,
			Column:    q.pos.col,
			MonitorID: monitorID,
			Message:   q.msg,
		})
	}
	sortErrors(out)
	return out
}

func sortErrors(errs []ValidationError) {
	slices.SortStableFunc(errs, func(a, b ValidationError) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column),
		)
	})
}
