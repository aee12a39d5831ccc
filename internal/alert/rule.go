package alert

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// namePattern is what rule and channel names must match: they end up in
// workflow ids.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// commonFields apply to every kind.
var commonFields = []string{"name", "kind", "monitors", "tags", "locations", "group_by",
	"severity", "channels", "remind_every", "resolve_after", "condition"}

// kindSpec lists the fields a kind requires and those it accepts.
type kindSpec struct{ required, optional []string }

var kinds = map[string]kindSpec{
	KindConsecutiveFailures: {required: []string{"threshold"}},
	KindFailureCount:        {required: []string{"threshold", "window"}},
	KindFailureRatio:        {required: []string{"ratio", "window"}, optional: []string{"min_results"}},
	KindLatency:             {required: []string{"measure", "above", "window"}, optional: []string{"percentile", "step"}},
	KindNewError:            {required: []string{"window", "baseline"}},
	KindErrorSpike:          {required: []string{"window", "baseline", "factor"}, optional: []string{"min_count"}},
	KindUnexpectedResource:  {required: []string{"allowed_domains", "window"}},
	KindResponseHeader:      {required: []string{"header", "expect", "window"}, optional: []string{"matches", "step"}},
	KindNoData:              {required: []string{"target", "for"}, optional: []string{"services", "baseline"}},
}

var kindNames = []string{KindConsecutiveFailures, KindFailureCount, KindFailureRatio, KindLatency,
	KindNewError, KindErrorSpike, KindUnexpectedResource, KindResponseHeader, KindNoData}

// allRuleFields is every field a rule may have, in the order of the docs.
var allRuleFields = append(append([]string{}, commonFields...), "threshold", "ratio", "min_results",
	"min_count", "window", "baseline", "factor", "measure", "percentile", "above", "step",
	"allowed_domains", "header", "expect", "matches", "target", "for", "services")

var groupLabels = []string{LabelMonitor, LabelLocation, LabelStep, LabelService, LabelDomain, LabelHeader, LabelError}

// parsedRule keeps where things were written, for checks across rules.
type parsedRule struct {
	Rule
	namePos     Position
	channelsPos []Position
}

// decodeRule reads one rule; it returns nil when the rule has a problem.
func decodeRule(r *report, n *node, index int) *parsedRule {
	it := newItem(r, n, "rule", fmt.Sprintf("rules[%d]", index), allRuleFields)
	if n.kind != mappingNode {
		return nil
	}
	pr := &parsedRule{}
	rule := &pr.Rule
	rule.Name = it.str("name")
	rule.Source = Source{File: r.file, Line: n.pos.Line, Column: n.pos.Column}
	checkName(it, rule.Name)
	if it.has("name") {
		pr.namePos = it.vals["name"].pos
	}
	rule.Kind = it.str("kind")
	spec, known := kinds[rule.Kind]
	switch {
	case !it.has("kind"):
		it.failAt(n.pos, "kind is required; expected one of: %s", strings.Join(kindNames, ", "))
	case !known:
		it.fail("kind", "unknown kind %q; expected one of: %s", rule.Kind, strings.Join(kindNames, ", "))
	default:
		checkKindFields(it, rule.Kind, spec)
	}
	readSelection(it, rule)
	readCommon(it, pr)
	readKindFields(it, rule)
	if known {
		checkKind(it, rule)
	}
	checkCondition(it, rule)
	if it.bad {
		return nil
	}
	return pr
}

func checkName(it *item, name string) {
	switch {
	case !it.has("name"):
		it.failAt(it.pos, "name is required")
	case !namePattern.MatchString(name):
		it.fail("name", "%q must match %s", name, namePattern)
	}
}

// checkKindFields reports missing required fields and fields of other kinds.
func checkKindFields(it *item, kind string, spec kindSpec) {
	for _, f := range spec.required {
		if !it.has(f) {
			it.failAt(it.vals["kind"].pos, "%s is required for kind %s", f, kind)
		}
	}
	for f := range it.vals {
		if !contains(commonFields, f) && !contains(spec.required, f) && !contains(spec.optional, f) {
			it.fail(f, "does not apply to kind %s", kind)
		}
	}
}

func readSelection(it *item, rule *Rule) {
	rule.Monitors, rule.Source.Monitors = it.strList("monitors")
	rule.Tags, _ = it.strList("tags")
	rule.Locations, _ = it.strList("locations")
	rule.Services, _ = it.strList("services")
}

func readCommon(it *item, pr *parsedRule) {
	rule := &pr.Rule
	rule.GroupBy, _ = it.strList("group_by")
	for i, g := range rule.GroupBy {
		if !contains(groupLabels, g) {
			it.failAt(it.vals["group_by"].items[i].pos, "group_by: unknown label %q; expected one of: %s", g, strings.Join(groupLabels, ", "))
		} else if contains(rule.GroupBy[:i], g) {
			it.failAt(it.vals["group_by"].items[i].pos, "group_by: label %q is listed twice", g)
		}
	}
	if !it.has("group_by") && rule.Kind != KindNoData {
		rule.GroupBy = append([]string{}, DefaultGroupBy...)
	}
	rule.Severity = it.oneOf("severity", SeverityCritical, SeverityWarning, SeverityInfo)
	if rule.Severity == "" {
		rule.Severity = DefaultSeverity
	}
	rule.Channels, pr.channelsPos = it.strList("channels")
	rule.RemindEvery = it.duration("remind_every")
	rule.ResolveAfter = DefaultResolveAfter
	if it.has("resolve_after") {
		rule.ResolveAfter = it.duration("resolve_after")
	}
	rule.Condition = it.str("condition")
}

func readKindFields(it *item, rule *Rule) {
	rule.Threshold = it.integer("threshold")
	rule.Ratio = it.number("ratio")
	rule.MinResults = it.integer("min_results")
	rule.MinCount = it.integer("min_count")
	rule.Window = it.duration("window")
	rule.Baseline = it.duration("baseline")
	rule.Factor = it.number("factor")
	rule.Measure = it.str("measure")
	rule.Percentile = it.number("percentile")
	rule.Step = it.str("step")
	rule.AllowedDomains, _ = it.strList("allowed_domains")
	rule.Header = it.str("header")
	rule.Expect = it.str("expect")
	rule.Matches = it.str("matches")
	rule.Target = it.str("target")
	rule.For = it.duration("for")
}

// positive reports a field that must be above zero.
func positive[T int | float64 | time.Duration](it *item, field string, v T) {
	if it.has(field) && v <= 0 {
		it.fail(field, "must be greater than 0")
	}
}
