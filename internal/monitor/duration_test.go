package monitor

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
)

func TestDurationText(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		out  string
	}{
		{"30s", 30 * time.Second, "30s"},
		{"5m", 5 * time.Minute, "5m"},
		{"1h30m", 90 * time.Minute, "1h30m"},
		{"1h", time.Hour, "1h"},
		{"168h", 168 * time.Hour, "168h"},
		{"500ms", 500 * time.Millisecond, "500ms"},
		{"1h0m5s", time.Hour + 5*time.Second, "1h0m5s"},
		{"0", 0, "0s"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var d Duration
			if err := d.UnmarshalText([]byte(tt.in)); err != nil {
				t.Fatal(err)
			}
			if d.Std() != tt.want || d.String() != tt.out {
				t.Errorf("got %v (%q), want %v (%q)", d.Std(), d.String(), tt.want, tt.out)
			}
		})
	}
	for _, bad := range []string{"30", "", "5 parsecs", "1d"} {
		var d Duration
		if err := d.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

type durationHolder struct {
	Every Duration `json:"every" yaml:"every"`
}

func TestDurationJSON(t *testing.T) {
	b, err := json.Marshal(durationHolder{Every: dur(90 * time.Minute)})
	if err != nil || string(b) != `{"every":"1h30m"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var h durationHolder
	if err := json.Unmarshal([]byte(`{"every":"5m"}`), &h); err != nil || h.Every.Std() != 5*time.Minute {
		t.Fatalf("Unmarshal = %v, %v", h.Every, err)
	}
	if err := json.Unmarshal([]byte(`{"every":300}`), &h); err == nil {
		t.Error("a JSON number was accepted")
	}
}

// TestDurationYAML uses another YAML decoder than ParseFile, as callers may.
func TestDurationYAML(t *testing.T) {
	var h durationHolder
	if err := yaml.Unmarshal([]byte("every: 1h30m\n"), &h); err != nil || h.Every.Std() != 90*time.Minute {
		t.Fatalf("Unmarshal = %v, %v", h.Every, err)
	}
	b, err := yaml.Marshal(durationHolder{Every: dur(30 * time.Second)})
	if err != nil || string(b) != "every: 30s\n" {
		t.Fatalf("Marshal = %q, %v", b, err)
	}
}

func TestDurationPattern(t *testing.T) {
	re := regexp.MustCompile(durationPattern)
	for _, ok := range []string{"30s", "5m", "1h30m", "1.5h", "0", "250ms", "10us", "1h0m0s"} {
		if !re.MatchString(ok) {
			t.Errorf("%q does not match", ok)
		}
		if _, err := ParseDuration(ok); err != nil {
			t.Errorf("%q matches but does not parse: %v", ok, err)
		}
	}
	for _, bad := range []string{"30", "-5s", "5 m", "1d", "", "s"} {
		if re.MatchString(bad) {
			t.Errorf("%q matches", bad)
		}
	}
}
