package monitor

import (
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseFile: whatever the input, ParseFile does not panic, every error
// names the file, and every monitor it returns is valid and hashable.
func FuzzParseFile(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*", "*.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		f.Add(readTestdata(f, strings.TrimPrefix(name, "testdata"+string(filepath.Separator))))
	}
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("<<: [*x, {a: 1}]\n---\n%YAML 1.2\n---\n!!str {a: b}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		monitors, errs := ParseFile("f.yaml", data)
		for _, e := range errs {
			if e.File != "f.yaml" || e.Message == "" || e.Line < 0 || e.Column < 0 {
				t.Fatalf("bad error %+v", e)
			}
		}
		for _, m := range monitors {
			if !validID(m.ID) || m.Source.File != "f.yaml" || m.Source.Line < 1 {
				t.Fatalf("bad monitor %+v", m)
			}
			if len(m.Hash()) != 64 {
				t.Fatal("bad hash")
			}
		}
	})
}
