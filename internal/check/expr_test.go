package check

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/monitor"
)

func TestOperands(t *testing.T) {
	tests := []struct {
		code string
		want string
	}{
		{"status == 200", "status"},
		{"json.user.id == 7 && status < 400", "json.user.id,status"},
		{`headers["content-type"] contains "json"`, `headers["content-type"]`},
		{"len(body) > 0", "body"},
		{"all(json.items, .ok)", "json.items"},
		{"json?.user?.id == 1", "json?.user?.id"},
		{"status == 200 || status == 201", "status"},
		{"connected", "connected"},
		{`"x" in answers`, "answers"},
		{"(", ""},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			if got := strings.Join(operands(tt.code), ","); got != tt.want {
				t.Errorf("operands(%q) = %q; want %q", tt.code, got, tt.want)
			}
		})
	}
}

func TestValueString(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{"abc", "abc"},
		{1234567.0, "1234567"},
		{0.5, "0.5"},
		{7, "7"},
		{true, "true"},
		{nil, "nil"},
		{map[string]any{"a": 1.0}, `{"a":1}`},
		{[]any{"x", 2.0}, `["x",2]`},
		{1500 * time.Millisecond, "1.5s"},
	}
	for _, tt := range tests {
		if got := valueString(tt.in); got != tt.want {
			t.Errorf("valueString(%#v) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestMessageValue(t *testing.T) {
	mask := strings.NewReplacer("secret", "***").Replace
	if got := messageValue(`a "secret"`, mask); got != `"a \"***\""` {
		t.Errorf("got %s", got)
	}
	long := strings.Repeat("é", 200)
	if got := messageValue(long, mask); len(got) > maxValueLen+8 || !strings.HasSuffix(got, `…"`) {
		t.Errorf("long value not cut: %d bytes", len(got))
	}
}

func TestProgramCache(t *testing.T) {
	r := newTestRunner(t)
	env := monitor.HTTPEnv{Status: 200}
	for range 3 {
		if a := r.assert(env, "status == 200", nil); !a.Passed {
			t.Fatalf("assertion failed: %+v", a)
		}
	}
	// The same text in another environment is another program.
	if a := r.assert(monitor.TCPEnv{}, "status == 200", nil); a.Passed || !strings.Contains(a.Message, "invalid expression") {
		t.Errorf("tcp env: %+v", a)
	}
	if n := len(r.programs.m); n != 2 {
		t.Errorf("%d programs cached, want 2", n)
	}
}
