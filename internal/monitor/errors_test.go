package monitor

import (
	"fmt"
	"strings"
	"testing"
)

func lineCol(e ValidationError) string { return fmt.Sprintf("%d:%d", e.Line, e.Column) }

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// TestParseFileErrors: every file under testdata/invalid holds one problem,
// reported at an exact line and column with a message saying what was
// expected.
func TestParseFileErrors(t *testing.T) {
	tests := []struct {
		file      string
		line, col int
		monitorID string
		want      []string // substrings of the message
	}{
		// YAML itself
		{"syntax_indent.yaml", 7, 6, "", []string{"invalid YAML", "not allowed"}},
		{"syntax_quote.yaml", 2, 7, "", []string{"invalid YAML", "double-quoted"}},
		{"duplicate_key.yaml", 3, 1, "", []string{`"id" already defined`}},
		{"unknown_anchor.yaml", 3, 11, "", []string{`unknown anchor "nowhere"`}},
		{"not_mapping.yaml", 1, 1, "", []string{"expected a mapping", "got a list"}},
		// strict decoding
		{"unknown_field.yaml", 7, 7, "typo", []string{`unknown field "methd" in steps[0].request`, `did you mean "method"`, "expected one of: method, url, headers"}},
		{"unknown_top_field.yaml", 3, 1, "typo-top", []string{`unknown field "scheduel"`, `did you mean "schedule"`, "expected one of: id, name, type, schedule"}},
		{"wrong_type_int.yaml", 4, 10, "wrong-int", []string{"retries: expected an integer", `got the string "many"`}},
		{"wrong_type_list.yaml", 4, 7, "wrong-list", []string{"tags: expected a list", `got the string "api"`}},
		{"wrong_type_steps.yaml", 5, 3, "wrong-steps", []string{"steps: expected a list, got a mapping"}},
		{"wrong_type_bool.yaml", 4, 9, "wrong-bool", []string{"paused: expected true or false"}},
		{"bad_duration.yaml", 4, 10, "bad-duration", []string{"timeout: expected a duration such as 30s", `got "30"`}},
		// monitor fields
		{"missing_id.yaml", 1, 1, "", []string{"id is required"}},
		{"bad_id.yaml", 1, 5, "Shop API", []string{`id "Shop API" must match`, IDPattern}},
		{"missing_type.yaml", 1, 1, "no-type", []string{"type is required", "expected one of: http, tcp, dns, tls, browser"}},
		{"browser.yaml", 1, 1, "browser-later", []string{"a browser monitor needs steps"}},
		{"browser_two_actions.yaml", 9, 5, "two-actions", []string{"steps[0] has both goto and click", "split it in two steps"}},
		{"browser_no_action.yaml", 7, 5, "no-action", []string{"steps[1] needs one action: goto, click, type"}},
		{"browser_request.yaml", 7, 5, "browser-request", []string{"steps[0].request belongs to http monitors"}},
		{"browser_bad_assert.yaml", 9, 9, "bad-browser-assert", []string{"steps[1].assert[0]: invalid assertion", "tittle"}},
		{"browser_unknown_var.yaml", 9, 9, "unknown-var", []string{"vars.total is not extracted by an earlier step"}},
		{"http_goto.yaml", 6, 5, "http-goto", []string{"steps[0].goto is a browser action; this is an http monitor"}},
		{"unknown_type.yaml", 2, 7, "unknown-type", []string{`unknown type "htp"`, "expected one of: http, tcp, dns, tls, browser"}},
		{"schedule_missing.yaml", 1, 1, "no-schedule", []string{"schedule is required", "every", "cron"}},
		{"schedule_both.yaml", 3, 1, "both", []string{"exactly one of every or cron, not both"}},
		{"schedule_neither.yaml", 3, 1, "neither", []string{"exactly one of every"}},
		{"every_too_small.yaml", 3, 19, "too-often", []string{"schedule.every must be at least 1s", "got 500ms"}},
		{"cron_invalid.yaml", 4, 9, "bad-cron", []string{`invalid cron expression "61 * * * *"`, "expected 5 fields"}},
		{"cron_six_fields.yaml", 3, 18, "six-fields", []string{"invalid cron expression", "expected 5 fields"}},
		{"timeout_zero.yaml", 4, 10, "zero-timeout", []string{"timeout must be greater than 0", "got 0s"}},
		{"timeout_too_long.yaml", 4, 10, "long-timeout", []string{"at most 10m", "got 11m"}},
		{"timeout_over_every.yaml", 4, 10, "slow-check", []string{"timeout 45s must not exceed schedule.every 30s"}},
		{"retries_range.yaml", 4, 10, "many-retries", []string{"retries must be between 0 and 10", "got 11"}},
		{"confirm_range.yaml", 4, 10, "many-confirms", []string{"confirm must be between 0 and 5", "got 6"}},
		// blocks of each type
		{"http_no_steps.yaml", 1, 1, "no-steps", []string{"http monitor needs steps"}},
		{"http_with_tcp.yaml", 6, 1, "mixed", []string{"tcp is not allowed in a monitor of type http"}},
		{"http_top_assert.yaml", 6, 1, "http-top-assert", []string{"assert at the top level is for tcp, dns and tls"}},
		{"tcp_missing.yaml", 1, 1, "tcp-missing", []string{"tcp monitor needs a tcp block"}},
		{"tcp_no_host.yaml", 4, 1, "tcp-no-host", []string{"tcp.host is required"}},
		{"tcp_bad_port.yaml", 6, 9, "tcp-bad-port", []string{"tcp.port must be between 1 and 65535", "got 70000"}},
		{"dns_no_name.yaml", 4, 1, "dns-no-name", []string{"dns.name is required"}},
		{"dns_bad_type.yaml", 4, 32, "dns-bad-type", []string{`dns.type "SRVX"`, "expected one of: A, AAAA"}},
		{"tls_no_host.yaml", 4, 1, "tls-no-host", []string{"tls.host is required"}},
		// http requests
		{"step_no_url.yaml", 6, 5, "no-url", []string{"steps[0].request.url is required"}},
		{"url_relative.yaml", 5, 20, "relative-url", []string{"absolute http or https URL", `got "/api/items"`}},
		{"url_scheme.yaml", 6, 12, "ftp-url", []string{"absolute http or https URL", "ftp://"}},
		{"bad_method.yaml", 6, 15, "bad-method", []string{`method "GE T" is not a valid HTTP method`}},
		{"body_and_json.yaml", 9, 7, "body-and-json", []string{"body and json are mutually exclusive"}},
		{"bad_placeholder.yaml", 8, 17, "bad-placeholder", []string{`invalid placeholder "${env.HOME}"`, "expected ${vars.NAME} or ${secrets.NAME}"}},
		{"unterminated_placeholder.yaml", 6, 12, "open-placeholder", []string{"unterminated placeholder", "expected ${vars.NAME}"}},
		{"placeholder_unknown_var.yaml", 6, 12, "unknown-var", []string{"${vars.item} is not extracted by an earlier step"}},
		// expressions
		{"assert_unknown_name.yaml", 8, 9, "assert-typo", []string{`steps[0].assert[1]: invalid assertion "stauts == 200"`, "unknown name stauts"}},
		{"assert_not_bool.yaml", 6, 14, "assert-int", []string{"invalid assertion", "expected bool"}},
		{"extract_compile.yaml", 7, 14, "extract-bad", []string{"steps[0].extract.token: invalid expression", "unexpected token"}},
		{"extract_later_var.yaml", 7, 14, "extract-later", []string{"vars.second is not extracted by an earlier step"}},
		{"extract_bad_name.yaml", 7, 7, "extract-name", []string{`variable name "my-token"`, "letters, digits and _"}},
		{"tcp_assert_env.yaml", 6, 5, "tcp-assert", []string{"assert[0]: invalid assertion", "unknown name status"}},
		// within one file, the second monitor with an id is dropped
		{"duplicate_id.yaml", 6, 5, "twice", []string{`duplicate monitor id "twice"`, "already defined at invalid/duplicate_id.yaml:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			name := "invalid/" + tt.file
			got, errs := ParseFile(name, readTestdata(t, name))
			if len(errs) != 1 {
				t.Fatalf("got %d errors, want 1: %v", len(errs), errs)
			}
			e := errs[0]
			if e.File != name || e.Line != tt.line || e.Column != tt.col {
				t.Errorf("error at %s:%d:%d, want %s:%d:%d (%s)", e.File, e.Line, e.Column, name, tt.line, tt.col, e.Message)
			}
			if e.MonitorID != tt.monitorID {
				t.Errorf("MonitorID = %q, want %q", e.MonitorID, tt.monitorID)
			}
			if !containsAll(e.Message, tt.want...) {
				t.Errorf("message %q does not contain all of %q", e.Message, tt.want)
			}
			if want := fmt.Sprintf("%s:%d:%d: %s", name, tt.line, tt.col, e.Message); e.Error() != want {
				t.Errorf("Error() = %q, want %q", e.Error(), want)
			}
			wantMonitors := 0
			if tt.file == "duplicate_id.yaml" {
				wantMonitors = 1
			}
			if len(got) != wantMonitors {
				t.Errorf("got %d monitors, want %d", len(got), wantMonitors)
			}
		})
	}
}

// TestParseFileSeveralErrors: the problems of one document are all reported,
// in file order, but a field that cannot be decoded is not reported again.
func TestParseFileSeveralErrors(t *testing.T) {
	data := []byte(`id: several
type: http
schedule: {every: 30s}
retries: 99
steps:
  - request:
      url: ftp://x
    assert: ["stauts == 1"]
  - request: "not a mapping"
`)
	_, errs := ParseFile("several.yaml", data)
	var at []string
	for _, e := range errs {
		at = append(at, lineCol(e))
	}
	want := []string{"4:10", "7:12", "8:14", "9:14"}
	if strings.Join(at, " ") != strings.Join(want, " ") {
		t.Fatalf("errors at %v, want %v: %v", at, want, errs)
	}
	if !strings.Contains(errs[3].Message, "steps[1].request: expected a mapping") {
		t.Errorf("last error %q", errs[3].Message)
	}
}

func TestParseFileURLPlaceholders(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"http://${vars.host}:${vars.port}/items/${vars.id}", true},
		{"https://api.example.com/?key=${secrets.API_KEY}", true},
		{"${vars.base}/items", false},
		{"${vars.scheme}://example.com/", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			data := `id: urls
type: http
schedule: {every: 30s}
steps:
  - request: {url: "http://127.0.0.1/"}
    extract: {host: '"h"', port: '"1"', id: '"2"', base: '"b"', scheme: '"s"'}
  - request:
      url: "` + tt.url + `"
`
			_, errs := ParseFile("urls.yaml", []byte(data))
			if tt.ok != (len(errs) == 0) {
				t.Fatalf("errors %v, want ok=%v", errs, tt.ok)
			}
			if !tt.ok && (lineCol(errs[0]) != "8:12" || !strings.Contains(errs[0].Message, "absolute http or https URL")) {
				t.Errorf("error %v", errs[0])
			}
		})
	}
}
