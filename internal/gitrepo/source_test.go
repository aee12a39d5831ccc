package gitrepo

import (
	"regexp"
	"strings"
	"testing"
)

func TestCloneDirName(t *testing.T) {
	valid := regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}-[0-9a-f]{12}$`)
	tests := []struct{ source, prefix string }{
		{"https://github.com/acme/monitors.git", "monitors-"},
		{"https://github.com/acme/monitors/", "monitors-"},
		{"git@github.com:acme/checks.git", "checks-"},
		{"file:///srv/git/a b", "a_b-"},
		{"https://host/", "host-"},
		{"..", "repo-"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		got := cloneDirName(tt.source, "")
		if !valid.MatchString(got) || !strings.HasPrefix(got, tt.prefix) {
			t.Errorf("cloneDirName(%q) = %q, want prefix %q", tt.source, got, tt.prefix)
		}
		seen[got] = true
	}
	if cloneDirName("https://a/m.git", "main") == cloneDirName("https://a/m.git", "dev") {
		t.Error("branches share a clone directory")
	}
	if len(seen) != len(tests) {
		t.Errorf("names collide: %v", seen)
	}
}

func TestRedact(t *testing.T) {
	if got := redact("https://bot:tok@host/r.git"); got != "https://bot:xxxxx@host/r.git" {
		t.Errorf("redact = %q", got)
	}
	for _, s := range []string{"git@host:org/r.git", "/srv/r", "https://host/r.git"} {
		if got := redact(s); got != s {
			t.Errorf("redact(%q) = %q", s, got)
		}
	}
}
