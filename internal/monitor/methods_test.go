package monitor

import (
	"reflect"
	"regexp"
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	tests := []struct {
		name        string
		m           Monitor
		timeout     time.Duration
		confirm     int
		locations   []string
		displayName string
	}{
		{"unset", Monitor{ID: "x"}, DefaultTimeout, 1, []string{DefaultLocation}, "x"},
		{"unset timeout, short interval", Monitor{ID: "x", Schedule: Schedule{Every: dur(10 * time.Second)}}, 10 * time.Second, 1, []string{DefaultLocation}, "x"},
		{"unset timeout, long interval", Monitor{ID: "x", Schedule: Schedule{Every: dur(time.Hour)}}, DefaultTimeout, 1, []string{DefaultLocation}, "x"},
		{"set", Monitor{ID: "x", Name: "X", Timeout: dur(5 * time.Second), Confirm: ptr(0), Locations: []string{"eu", "us"}},
			5 * time.Second, 0, []string{"eu", "us"}, "X"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.m.TimeoutOrDefault(); got != tt.timeout {
				t.Errorf("TimeoutOrDefault = %v, want %v", got, tt.timeout)
			}
			if got := tt.m.ConfirmCount(); got != tt.confirm {
				t.Errorf("ConfirmCount = %v, want %v", got, tt.confirm)
			}
			if got := tt.m.LocationsOrDefault(); !reflect.DeepEqual(got, tt.locations) {
				t.Errorf("LocationsOrDefault = %v, want %v", got, tt.locations)
			}
			if got := tt.m.DisplayName(); got != tt.displayName {
				t.Errorf("DisplayName = %q, want %q", got, tt.displayName)
			}
		})
	}
}

func parseOne(t *testing.T, name, data string) Monitor {
	t.Helper()
	ms, errs := ParseFile(name, []byte(data))
	if len(errs) > 0 || len(ms) != 1 {
		t.Fatalf("ParseFile: %v", errs)
	}
	return ms[0]
}

func TestHash(t *testing.T) {
	base := string(readTestdata(t, "valid/http.yaml"))
	h := parseOne(t, "a.yaml", base).Hash()
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(h) {
		t.Fatalf("Hash = %q, want 64 hex digits", h)
	}
	tests := []struct {
		name string
		file string
		data string
		same bool
	}{
		{"same definition", "a.yaml", base, true},
		{"other file and line", "dir/b.yaml", "# moved\n\n\n" + base, true},
		{"other key order", "a.yaml", reorder(base), true},
		{"changed timeout", "a.yaml", replaceOnce(t, base, "timeout: 10s", "timeout: 11s"), false},
		{"changed json body", "a.yaml", replaceOnce(t, base, "user: demo", "user: other"), false},
		{"changed assertion", "a.yaml", replaceOnce(t, base, "- status == 200\n", "- status == 201\n"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseOne(t, tt.file, tt.data).Hash()
			if (got == h) != tt.same {
				t.Errorf("hash equal = %v, want %v", got == h, tt.same)
			}
		})
	}
}

// reorder moves the name line after the type line.
func reorder(s string) string {
	re := regexp.MustCompile(`(?m)^(name: .*\n)(type: .*\n)`)
	return re.ReplaceAllString(s, "$2$1")
}

func replaceOnce(t *testing.T, s, old, new string) string {
	t.Helper()
	i := regexp.MustCompile(regexp.QuoteMeta(old)).FindStringIndex(s)
	if i == nil {
		t.Fatalf("%q not in test data", old)
	}
	return s[:i[0]] + new + s[i[1]:]
}

func TestHashUnencodableBody(t *testing.T) {
	m := Monitor{ID: "x", Steps: []Step{{Request: Request{JSON: map[string]any{"c": make(chan int)}}}}}
	if h := m.Hash(); len(h) != 64 || h != m.Hash() {
		t.Errorf("Hash = %q, want a stable hash", h)
	}
	if m.Steps[0].Request.JSON == nil {
		t.Error("Hash modified the monitor")
	}
}
