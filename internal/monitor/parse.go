package monitor

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"slices"
)

// Limits of one file: monitor files are small, and limits keep a stray
// generated file from costing much.
const (
	MaxFileSize  = 1 << 20
	MaxDocuments = 1000
)

// ParseFile reads the monitors of one file, which may hold several YAML
// documents. name is the file's path as it should appear in errors. Every
// document with a problem yields errors and no Monitor; the others yield
// their Monitor. A second monitor with the same id as an earlier one in the
// file is an error and is dropped.
func ParseFile(name string, data []byte) ([]Monitor, []ValidationError) {
	parsed, errs := parseFile(name, data)
	monitors, dups := dedupe(parsed)
	errs = append(errs, dups...)
	sortErrors(errs)
	return monitors, errs
}

// parsedMonitor keeps where the id was written, to locate duplicates.
type parsedMonitor struct {
	Monitor
	idPos position
}

func parseFile(name string, data []byte) ([]parsedMonitor, []ValidationError) {
	if len(data) > MaxFileSize {
		return nil, []ValidationError{{File: name, Message: fmt.Sprintf("file is larger than %d bytes", MaxFileSize)}}
	}
	var out []parsedMonitor
	var errs []ValidationError
	count := 0
	for _, c := range splitDocuments(data) {
		docs, err := parseChunk(c)
		for _, doc := range docs {
			if count++; count > MaxDocuments {
				errs = append(errs, ValidationError{File: name, Line: doc.root.pos.line, Column: doc.root.pos.col,
					Message: fmt.Sprintf("more than %d documents in one file; the rest is ignored", MaxDocuments)})
				return out, errs
			}
			pm, derrs := parseDocument(name, doc)
			errs = append(errs, derrs...)
			if pm != nil {
				out = append(out, *pm)
			}
		}
		if err != nil {
			errs = append(errs, positionErrorToValidation(name, err))
		}
	}
	return out, errs
}

func positionErrorToValidation(file string, err error) ValidationError {
	var perr *positionError
	if errors.As(err, &perr) {
		return ValidationError{File: file, Line: perr.pos.line, Column: perr.pos.col, Message: perr.msg}
	}
	return ValidationError{File: file, Message: err.Error()}
}

// parseDocument decodes and validates one document.
func parseDocument(name string, doc yamlDocument) (*parsedMonitor, []ValidationError) {
	p := &problems{}
	root := doc.root
	if root.kind != mappingNode {
		p.add("", root.pos, "expected a mapping with the fields of a monitor (id, type, schedule, ...), got %s", describe(root))
		return nil, p.errors(name, "")
	}
	var m Monitor
	d := newDecoder(p)
	d.decode(root, reflect.ValueOf(&m).Elem(), "")
	if d.budget > 0 {
		c := &checker{m: &m, d: d, p: p}
		c.validate()
	}
	if !p.empty() {
		return nil, p.errors(name, m.ID)
	}
	m.Source = Source{File: name, Line: root.pos.line}
	idPos := d.values["id"].pos
	return &parsedMonitor{Monitor: m, idPos: idPos}, nil
}

// dedupe keeps the first monitor of each id, in the order given, and
// reports the others.
func dedupe(ms []parsedMonitor) ([]Monitor, []ValidationError) {
	var out []Monitor
	var errs []ValidationError
	first := map[string]Source{}
	for _, pm := range ms {
		if src, ok := first[pm.ID]; ok {
			errs = append(errs, ValidationError{
				File:      pm.Source.File,
				Line:      pm.idPos.line,
				Column:    pm.idPos.col,
				MonitorID: pm.ID,
				Message:   fmt.Sprintf("duplicate monitor id %q: already defined at %s:%d", pm.ID, src.File, src.Line),
			})
			continue
		}
		first[pm.ID] = pm.Source
		out = append(out, pm.Monitor)
	}
	return out, errs
}

// sortParsed orders monitors by file, then line.
func sortParsed(ms []parsedMonitor) {
	slices.SortStableFunc(ms, func(a, b parsedMonitor) int {
		return cmp.Or(cmp.Compare(a.Source.File, b.Source.File), cmp.Compare(a.Source.Line, b.Source.Line))
	})
}
