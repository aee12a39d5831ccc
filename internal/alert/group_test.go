package alert

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGroupBy(t *testing.T) {
	rs := results(
		res("a", "eu", 1*m).down("io", "x").step("login", true, m, nil).step("pay", false, m, nil),
		res("a", "us", 1*m).down("io", "x").step("login", false, m, nil),
		res("b", "eu", 1*m).step("login", true, m, nil),
	)
	tests := []struct {
		groupBy string
		want    []string
	}{
		// equal times sort by result id: a/eu (up at login) before a/us
		{"[monitor, location]", []string{"r.a.eu true 1", "r.a.us true 1", "r.b.eu false 0"}},
		{"[location]", []string{"r.eu true 1", "r.us true 1"}},
		{"[monitor]", []string{"r.a true 2", "r.b false 0"}},
		{"[]", []string{"r true 2"}},
		{"[monitor, step]", []string{"r.a.login false 0", "r.a.pay true 1", "r.b.login false 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.groupBy, func(t *testing.T) {
			alerts := evaluate(t, "kind: consecutive_failures\nthreshold: 1\ngroup_by: "+tt.groupBy, rs)
			assert.Equal(t, tt.want, brief(alerts))
			again := evaluate(t, "kind: consecutive_failures\nthreshold: 1\ngroup_by: "+tt.groupBy, rs)
			assert.Equal(t, brief(alerts), brief(again), "keys are stable")
		})
	}
}

func TestGroupLabelsAndEvidence(t *testing.T) {
	rs := results(res("checkout", "eu-west", 1*m).down("assertion", "status 503").step("pay", false, m, nil), res("checkout", "eu-west", 2*m).down("io", "x"),
		res("checkout", "eu-west", 3*m).down("io", "x"))
	alerts := evaluate(t, "kind: consecutive_failures\nthreshold: 3\nseverity: critical\nremind_every: 30m", rs)
	require.Len(t, alerts, 1)
	a := alerts[0]
	assert.Equal(t, map[string]string{"monitor": "checkout", "location": "eu-west"}, a.Labels)
	assert.Equal(t, "checkout is down in eu-west: 3 consecutive failures", a.Summary)
	assert.Equal(t, "critical", a.Severity)
	assert.Equal(t, 30*m, a.RemindEvery)
	assert.Equal(t, Evidence{ResultID: rs[0].ID, Monitor: "checkout", Location: "eu-west", Step: "pay",
		Error: "assertion: status 503", Assertion: "status == 200 (got 503)", Commit: "abc123",
		WorkflowID: "wf-checkout", RunID: "run-1", Confirmed: true, At: rs[0].Timestamp}, a.Evidence)
}

func TestAlertKey(t *testing.T) {
	safe := regexp.MustCompile(`^[a-zA-Z0-9._-]{1,120}$`)
	long := strings.Repeat("x", 200)
	tests := []struct {
		name  string
		id    groupID
		plain bool
	}{
		{"plain", groupID{monitor: "checkout", location: "eu-west"}, true},
		{"dot in a value", groupID{monitor: "a.b", location: "c"}, false},
		{"empty value", groupID{monitor: "a"}, false},
		{"unsafe characters", groupID{monitor: "a/b c", location: "ü"}, false},
		{"long", groupID{monitor: long, location: "eu"}, false},
	}
	names := []string{LabelMonitor, LabelLocation}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := alertKey("rule", names, &tt.id)
			assert.Regexp(t, safe, k)
			assert.Equal(t, k, alertKey("rule", names, &tt.id))
			assert.Equal(t, tt.plain, k == "rule."+tt.id.monitor+"."+tt.id.location)
		})
	}
	// values that would read the same once joined get different keys
	a := alertKey("r", names, &groupID{monitor: "a.b", location: "c"})
	b := alertKey("r", names, &groupID{monitor: "a", location: "b.c"})
	assert.NotEqual(t, a, b)
}

func TestCondition(t *testing.T) {
	rs := results(res("a", "eu", 1*m).down("io", "x"), res("a", "staging", 1*m).down("io", "x"), res("b", "eu", 1*m))
	tests := []struct {
		cond string
		want []string
	}{
		{`location != "staging"`, []string{"r.a.eu true 1", "r.a.staging false 1", "r.b.eu false 0"}},
		{`labels["monitor"] == "a" && value >= 1 && count == 1 && total == 1 && ratio == 1.0`, []string{"r.a.eu true 1", "r.a.staging true 1", "r.b.eu false 0"}},
		{`severity == "critical"`, []string{"r.a.eu false 1", "r.a.staging false 1", "r.b.eu false 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			alerts := evaluate(t, "kind: consecutive_failures\nthreshold: 1\ncondition: '"+tt.cond+"'", rs)
			assert.Equal(t, tt.want, brief(alerts))
		})
	}
}

// TestConditionRuntimeError: a rule whose condition fails is reported and
// the other rules still evaluate.
func TestConditionRuntimeError(t *testing.T) {
	rules := mustRules(t, `rules:
  - name: broken
    kind: consecutive_failures
    threshold: 1
    condition: 'count % (total - 1) == 0'
  - name: fine
    kind: consecutive_failures
    threshold: 1
`)
	alerts, errs := Evaluate(rules, Data{Now: t0, Results: results(res("a", "eu", m).down("io", "x"))})
	require.Len(t, errs, 1)
	assert.Equal(t, "broken", errs[0].Rule)
	assert.Contains(t, errs[0].Error(), "integer divide by zero")
	assert.Equal(t, []string{"fine.a.eu true 1"}, brief(alerts))
}

func TestCompileRejectsBadRules(t *testing.T) {
	c, errs := Compile([]Rule{{Name: "x", Kind: "what"}, {Name: "y", Kind: KindConsecutiveFailures, Threshold: 1, Condition: "nope("}})
	require.Len(t, errs, 2)
	assert.Empty(t, c.rules)
}
