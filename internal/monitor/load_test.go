package monitor

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeTree creates files (path -> content) under a new directory.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func tcpMonitor(id string) string {
	return "id: " + id + "\ntype: tcp\nschedule: {every: 30s}\ntcp: {host: localhost, port: 22}\n"
}

func TestLoadDir(t *testing.T) {
	root := writeTree(t, map[string]string{
		"http.yaml":             string(readTestdata(t, "valid/http.yaml")),
		"b/redis.yml":           tcpMonitor("redis") + "---\n" + tcpMonitor("shop-api"),
		"a/z.yaml":              tcpMonitor("a-first"),
		"a/bad.yaml":            "id: bad\ntype: ftp\nschedule: {every: 30s}\n",
		"b/alerts/kept.yaml":    tcpMonitor("nested-alerts-are-monitors"),
		"alerts/rule.yaml":      "rule: not a monitor\n",
		".git/config.yaml":      "not: [a monitor\n",
		"b/.cache/x.yaml":       "broken: [\n",
		".hidden.yaml":          "broken: [\n",
		"README.md":             "# monitors\n",
		"c/notes.txt":           "id: not-yaml\n",
		"c/UPPER.YAML":          tcpMonitor("upper"),
		"d/deep/er/mon.yaml":    tcpMonitor("deep"),
		"d/deep/er/mon-2.yaml":  tcpMonitor("deep-2"),
		"b/alerts/also.yml.bak": "ignored\n",
	})
	if err := os.Symlink(filepath.Join(root, "missing.yaml"), filepath.Join(root, "c", "dangling.yaml")); err != nil {
		t.Fatal(err)
	}

	monitors, errs := LoadDir(root)

	var got []string
	for _, m := range monitors {
		got = append(got, m.Source.File+":"+m.ID)
	}
	want := []string{
		"a/z.yaml:a-first",
		"b/alerts/kept.yaml:nested-alerts-are-monitors",
		"b/redis.yml:redis",
		"b/redis.yml:shop-api",
		"c/UPPER.YAML:upper",
		"d/deep/er/mon-2.yaml:deep-2",
		"d/deep/er/mon.yaml:deep",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("monitors:\n got %v\nwant %v", got, want)
	}

	var gotErrs []string
	for _, e := range errs {
		gotErrs = append(gotErrs, e.File+":"+lineCol(e))
	}
	// b/redis.yml comes before http.yaml, so its shop-api is the first one
	wantErrs := []string{"a/bad.yaml:2:7", "c/dangling.yaml:0:0", "http.yaml:2:5"}
	if !reflect.DeepEqual(gotErrs, wantErrs) {
		t.Fatalf("errors:\n got %v\nwant %v\n%v", gotErrs, wantErrs, errs)
	}
	dup := errs[2]
	if dup.MonitorID != "shop-api" || !strings.Contains(dup.Message, `duplicate monitor id "shop-api": already defined at b/redis.yml:6`) {
		t.Errorf("duplicate error: %+v", dup)
	}
	if !strings.Contains(errs[1].Message, "cannot read") {
		t.Errorf("unreadable file error: %+v", errs[1])
	}
}

// TestLoadDirDuplicateOrder: the first occurrence in file order wins,
// whatever order the files were written in.
func TestLoadDirDuplicateOrder(t *testing.T) {
	root := writeTree(t, map[string]string{
		"z.yaml": tcpMonitor("same"),
		"a.yaml": "# first\n\n" + tcpMonitor("same"),
	})
	monitors, errs := LoadDir(root)
	if len(monitors) != 1 || monitors[0].Source != (Source{File: "a.yaml", Line: 3}) {
		t.Fatalf("monitors %+v", monitors)
	}
	if len(errs) != 1 || errs[0].File != "z.yaml" || lineCol(errs[0]) != "1:5" ||
		!strings.Contains(errs[0].Message, "already defined at a.yaml:3") {
		t.Fatalf("errors %v", errs)
	}
}

func TestLoadDirMissingRoot(t *testing.T) {
	monitors, errs := LoadDir(filepath.Join(t.TempDir(), "nope"))
	if len(monitors) != 0 || len(errs) != 1 || errs[0].Line != 0 {
		t.Fatalf("got %v, %v; want one error at line 0", monitors, errs)
	}
}
