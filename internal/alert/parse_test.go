package alert

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/monitor"
)

const channelsYAML = `channels:
  - name: oncall
    type: slack
    channel: C0123456789
    token: ${secrets.SLACK_TOKEN}
`

func errorStrings(errs []monitor.ValidationError) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

func TestParseValid(t *testing.T) {
	src := channelsYAML + `  - name: hooks
    type: webhook
    url: https://hooks.example.com/vigil
    secret: ${secrets.WEBHOOK_SECRET}
rules:
  - name: checkout-down
    kind: consecutive_failures
    monitors: [checkout]
    locations: [eu-west]
    threshold: 3
    severity: critical
    channels: [oncall, hooks]
    remind_every: 30m
    condition: 'value >= 3 && location != "staging"'
  - name: slow
    kind: latency
    measure: duration
    above: 1.5s
    window: 10m
`
	set, errs := Parse("alerts/a.yaml", []byte(src))
	require.Empty(t, errs)
	require.Len(t, set.Rules, 2)
	require.Len(t, set.Channels, 2)
	r := set.Rules[0]
	assert.Equal(t, []string{"monitor", "location"}, r.GroupBy)
	assert.Equal(t, 20*time.Second, r.ResolveAfter)
	assert.Equal(t, 30*time.Minute, r.RemindEvery)
	assert.Equal(t, Source{File: "alerts/a.yaml", Line: 11, Column: 5, Monitors: []Position{{13, 16}}}, r.Source)
	assert.Equal(t, "${secrets.SLACK_TOKEN}", set.Channels[0].Token, "secrets stay references")
	assert.Equal(t, 1500.0, set.Rules[1].Above)
	assert.Equal(t, 95.0, set.Rules[1].Percentile)
	assert.Equal(t, "warning", set.Rules[1].Severity)

	data, err := json.Marshal(set)
	require.NoError(t, err)
	var back Set
	require.NoError(t, json.Unmarshal(data, &back))
	assert.Equal(t, set, back)
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"unknown field", "rules:\n  - name: a\n    kind: consecutive_failures\n    treshold: 3\n",
			[]string{
				`f.yaml:3:11: rule "a": threshold is required for kind consecutive_failures`,
				`f.yaml:4:5: rule "a": unknown field "treshold" (did you mean "threshold"?); expected one of: ` + strings.Join(allRuleFields, ", "),
			}},
		{"unknown kind", "rules:\n  - name: a\n    kind: flaky\n",
			[]string{`f.yaml:3:11: rule "a": kind: unknown kind "flaky"; expected one of: ` + strings.Join(kindNames, ", ")}},
		{"missing kind and name", "rules:\n  - threshold: 3\n",
			[]string{`f.yaml:2:5: rules[0]: name is required`, `f.yaml:2:5: rules[0]: kind is required; expected one of: ` + strings.Join(kindNames, ", ")}},
		{"field of another kind", "rules:\n  - name: a\n    kind: consecutive_failures\n    threshold: 3\n    ratio: 0.5\n",
			[]string{`f.yaml:5:12: rule "a": ratio: does not apply to kind consecutive_failures`}},
		{"bad duration", "rules:\n  - name: a\n    kind: failure_count\n    threshold: 3\n    window: 10 minutes\n",
			[]string{`f.yaml:5:13: rule "a": window: expected a duration such as 30s, 5m or 1h30m, got "10 minutes"`}},
		{"negative duration", "rules:\n  - name: a\n    kind: failure_count\n    threshold: 3\n    window: -5m\n",
			[]string{`f.yaml:5:13: rule "a": window: must not be negative, got -5m`}},
		{"bad ratio", "rules:\n  - name: a\n    kind: failure_ratio\n    ratio: 1.5\n    window: 5m\n",
			[]string{`f.yaml:4:12: rule "a": ratio: must be above 0 and at most 1, got 1.5`}},
		{"bad percentile", "rules:\n  - name: a\n    kind: latency\n    measure: duration\n    above: 1s\n    window: 5m\n    percentile: 20\n",
			[]string{`f.yaml:7:17: rule "a": percentile: must be between 50 and 100, got 20`}},
		{"bad measure", "rules:\n  - name: a\n    kind: latency\n    measure: speed\n    above: 1s\n    window: 5m\n",
			[]string{`f.yaml:4:14: rule "a": measure: unknown measure "speed"; expected one of: ` + strings.Join(measures, ", ")}},
		{"cls above is a number", "rules:\n  - name: a\n    kind: latency\n    measure: vitals.cls\n    above: 1s\n    window: 5m\n",
			[]string{`f.yaml:5:12: rule "a": above: expected a number for vitals.cls, got the value "1s"`}},
		{"step.duration needs a step", "rules:\n  - name: a\n    kind: latency\n    measure: step.duration\n    above: 1s\n    window: 5m\n",
			[]string{`f.yaml:4:14: rule "a": measure: step.duration needs a step: name or group_by with step`}},
		{"bad threshold", "rules:\n  - name: a\n    kind: consecutive_failures\n    threshold: three\n",
			[]string{`f.yaml:4:16: rule "a": threshold: expected an integer, got the value "three"`}},
		{"zero threshold", "rules:\n  - name: a\n    kind: consecutive_failures\n    threshold: 0\n",
			[]string{`f.yaml:4:16: rule "a": threshold: must be greater than 0`}},
		{"bad condition", "rules:\n  - name: a\n    kind: consecutive_failures\n    threshold: 3\n    condition: 'valeu > 3'\n",
			[]string{`f.yaml:5:16: rule "a": condition: unknown name valeu (at 1:1 of the expression)`}},
		{"condition not boolean", "rules:\n  - name: a\n    kind: consecutive_failures\n    threshold: 3\n    condition: 'value + 1'\n",
			[]string{`f.yaml:5:16: rule "a": condition: expected bool, but got float64`}},
		{"unknown group_by label", "rules:\n  - name: a\n    kind: consecutive_failures\n    threshold: 3\n    group_by: [monitor, region]\n",
			[]string{`f.yaml:5:25: rule "a": group_by: unknown label "region"; expected one of: monitor, location, step, service, domain, header, error`}},
		{"bad regexp", "rules:\n  - name: a\n    kind: response_header\n    header: Cache-Control\n    expect: matches\n    matches: 'max-age=(\\d+'\n    window: 5m\n",
			[]string{"f.yaml:6:14: rule \"a\": matches: invalid regular expression: error parsing regexp: missing closing ): `max-age=(\\d+`"}},
		{"bad severity", "rules:\n  - name: a\n    kind: consecutive_failures\n    threshold: 3\n    severity: page\n",
			[]string{`f.yaml:5:15: rule "a": severity: expected one of critical, warning, info, got "page"`}},
		{"unknown channel", channelsYAML + "rules:\n  - name: a\n    kind: consecutive_failures\n    threshold: 3\n    channels: [oncall, pager]\n",
			[]string{`f.yaml:10:24: rule "a": channels: unknown channel "pager"`}},
		{"duplicate rule", "rules:\n  - name: a\n    kind: consecutive_failures\n    threshold: 3\n  - name: a\n    kind: consecutive_failures\n    threshold: 2\n",
			[]string{`f.yaml:5:11: duplicate rule name "a": already defined at f.yaml:2`}},
		{"duplicate channel", channelsYAML + "  - name: oncall\n    type: webhook\n    url: https://x.example\n",
			[]string{`f.yaml:6:11: duplicate channel name "oncall": already defined at f.yaml:2`}},
		{"slack without token", "channels:\n  - name: c\n    type: slack\n    channel: C1\n",
			[]string{`f.yaml:3:11: channel "c": type: a slack channel needs token and channel, or webhook_url`}},
		{"webhook field on slack", "channels:\n  - name: c\n    type: slack\n    webhook_url: https://hooks.slack.com/x\n    secret: s\n",
			[]string{`f.yaml:5:13: channel "c": secret: does not apply to channel type slack`}},
		{"bad webhook url", "channels:\n  - name: c\n    type: webhook\n    url: hooks.example.com\n",
			[]string{`f.yaml:4:10: channel "c": url: expected an absolute http or https URL, got "hooks.example.com"`}},
		{"no_data service needs services", "rules:\n  - name: a\n    kind: no_data\n    target: service\n    for: 5m\n",
			[]string{`f.yaml:4:13: rule "a": target: target service needs a non-empty services: list`}},
		{"no_data with group_by", "rules:\n  - name: a\n    kind: no_data\n    target: monitor\n    for: 5m\n    group_by: [monitor]\n",
			[]string{`f.yaml:6:15: rule "a": group_by: does not apply to kind no_data, which groups by its target`}},
		{"unknown top-level", "rule:\n  - name: a\n",
			[]string{`f.yaml:1:1: unknown top-level field "rule" (did you mean "rules"?); expected rules or channels`}},
		{"syntax error", "rules:\n  - name: [a\n",
			[]string{`f.yaml:2:11: invalid YAML: sequence end token ']' not found`}},
		{"bad name", "rules:\n  - name: 'a b'\n    kind: consecutive_failures\n    threshold: 3\n",
			[]string{`f.yaml:2:11: rule "a b": name: "a b" must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := Parse("f.yaml", []byte(tt.src))
			assert.Equal(t, tt.want, errorStrings(errs))
		})
	}
}

// TestParseKeepsValidRules: one broken rule does not hide the others.
func TestParseKeepsValidRules(t *testing.T) {
	src := "rules:\n  - name: bad\n    kind: nope\n  - name: good\n    kind: consecutive_failures\n    threshold: 2\n"
	set, errs := Parse("f.yaml", []byte(src))
	require.Len(t, errs, 1)
	require.Len(t, set.Rules, 1)
	assert.Equal(t, "good", set.Rules[0].Name)
}

func TestValidateAgainst(t *testing.T) {
	src := "rules:\n  - name: a\n    kind: consecutive_failures\n    threshold: 3\n    monitors:\n      - checkout\n      - gone\n"
	set, errs := Parse("alerts/x.yaml", []byte(src))
	require.Empty(t, errs)
	errs = ValidateAgainst(set, []monitor.Monitor{{ID: "checkout"}})
	assert.Equal(t, []string{`alerts/x.yaml:7:9: rule "a": monitors: unknown monitor "gone"`}, errorStrings(errs))
	assert.Equal(t, "gone", errs[0].MonitorID)
}

func TestParseAnchors(t *testing.T) {
	src := "rules:\n  - name: a\n    kind: failure_count\n    threshold: &n 2\n    window: &w 10m\n  - name: b\n    kind: failure_count\n    threshold: *n\n    window: *w\n"
	set, errs := Parse("f.yaml", []byte(src))
	require.Empty(t, errs)
	require.Len(t, set.Rules, 2)
	assert.Equal(t, 2, set.Rules[1].Threshold)
	assert.Equal(t, 10*time.Minute, set.Rules[1].Window)
}
