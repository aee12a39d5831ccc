package monitor

import (
	"strings"
	"testing"
)

func TestTraceparentValidation(t *testing.T) {
	const browserSteps = "steps:\n  - goto: https://shop.example/\n"
	const httpSteps = "steps:\n  - request: {url: \"https://shop.example/\"}\n"
	for _, tc := range []struct {
		name, typ, yaml, steps, want string
	}{
		{"browser origins", "browser", "traceparent: {origins: [\"https://api.shop.example\", \"http://127.0.0.1:8080/\"]}", browserSteps, ""},
		{"every origin", "browser", "traceparent: {origins: [\"*\"]}", browserSteps, ""},
		{"off", "http", "traceparent: {off: true}", httpSteps, ""},
		{"origin with a path", "browser", "traceparent: {origins: [\"https://api.shop.example/v1\"]}", browserSteps, "must be * or scheme://host[:port]"},
		{"origin without scheme", "browser", "traceparent: {origins: [\"api.shop.example\"]}", browserSteps, "must be * or scheme://host[:port]"},
		{"origins of an http monitor", "http", "traceparent: {origins: [\"*\"]}", httpSteps, "traceparent.origins applies to browser monitors only"},
		{"tcp monitor", "tcp", "traceparent: {off: true}", "tcp: {host: shop.example, port: 443}\n", "traceparent applies to http and browser monitors only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := "id: m\ntype: " + tc.typ + "\nschedule: {every: 5m}\n" + tc.yaml + "\n" + tc.steps
			m, errs := ParseFile("m.yaml", []byte(doc))
			if tc.want == "" {
				if len(errs) > 0 {
					t.Fatalf("unexpected errors: %v", errs)
				}
				if len(m) != 1 || m[0].Traceparent == nil {
					t.Fatalf("traceparent not decoded")
				}
				return
			}
			if len(errs) != 1 || !strings.Contains(errs[0].Message, tc.want) {
				t.Fatalf("errors %v, want %q", errs, tc.want)
			}
		})
	}
}
