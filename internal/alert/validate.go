package alert

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// Measures of latency rules.
const (
	MeasureDuration     = "duration"
	MeasureStepDuration = "step.duration"
	MeasureCLS          = "vitals.cls"
)

var measures = []string{MeasureDuration, MeasureStepDuration,
	"timings.dns", "timings.connect", "timings.tls", "timings.first_byte", "timings.total",
	"vitals.lcp", MeasureCLS, "vitals.inp", "vitals.tbt", "vitals.fcp", "vitals.ttfb"}

// checkKind validates the values of the kind's own fields.
func checkKind(it *item, rule *Rule) {
	positive(it, "threshold", rule.Threshold)
	positive(it, "min_results", rule.MinResults)
	positive(it, "min_count", rule.MinCount)
	positive(it, "window", rule.Window)
	positive(it, "baseline", rule.Baseline)
	positive(it, "factor", rule.Factor)
	positive(it, "for", rule.For)
	if it.has("ratio") && (rule.Ratio <= 0 || rule.Ratio > 1) {
		it.fail("ratio", "must be above 0 and at most 1, got %v", rule.Ratio)
	}
	switch rule.Kind {
	case KindFailureRatio:
		rule.MinResults = max(rule.MinResults, 0)
		if rule.MinResults == 0 {
			rule.MinResults = DefaultMinResults
		}
	case KindErrorSpike:
		if rule.MinCount == 0 {
			rule.MinCount = DefaultMinCount
		}
	case KindLatency:
		checkLatency(it, rule)
	case KindResponseHeader:
		checkHeader(it, rule)
	case KindNoData:
		checkNoData(it, rule)
	}
}

func checkLatency(it *item, rule *Rule) {
	if it.has("measure") && !contains(measures, rule.Measure) {
		it.fail("measure", "unknown measure %q; expected one of: %s", rule.Measure, strings.Join(measures, ", "))
	}
	rule.Percentile = max(rule.Percentile, 0)
	if !it.has("percentile") {
		rule.Percentile = DefaultPercentile
	} else if rule.Percentile < 50 || rule.Percentile > 100 {
		it.fail("percentile", "must be between 50 and 100, got %v", rule.Percentile)
	}
	rule.Above = above(it, rule.Measure)
	if rule.Measure == MeasureStepDuration && rule.Step == "" && !contains(rule.GroupBy, LabelStep) {
		it.fail("measure", "step.duration needs a step: name or group_by with step")
	}
	if it.has("step") && !strings.HasPrefix(rule.Measure, "step.") && !strings.HasPrefix(rule.Measure, "timings.") {
		it.fail("step", "applies only to the step.duration and timings.* measures")
	}
}

// above reads the threshold of a latency rule in milliseconds, or as a
// plain number for cls.
func above(it *item, measure string) float64 {
	n, ok := it.scalar("above", "a duration or a number")
	if !ok {
		return 0
	}
	if v, err := strconv.ParseFloat(n.text, 64); err == nil && v >= 0 {
		return v
	}
	if measure == MeasureCLS {
		it.fail("above", "expected a number for vitals.cls, got %s", describe(n))
		return 0
	}
	d := it.duration("above")
	return float64(d.Microseconds()) / 1000
}

// headerName is a valid HTTP header field name (RFC 9110 token).
var headerName = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

func checkHeader(it *item, rule *Rule) {
	if it.has("header") && !headerName.MatchString(rule.Header) {
		it.fail("header", "%q is not a valid header name", rule.Header)
	}
	rule.Header = http.CanonicalHeaderKey(rule.Header)
	rule.Expect = it.oneOf("expect", ExpectPresent, ExpectAbsent, ExpectMatches)
	switch {
	case rule.Expect == ExpectMatches && !it.has("matches"):
		it.fail("expect", "expect: matches needs a matches: regular expression")
	case rule.Expect != ExpectMatches && it.has("matches"):
		it.fail("matches", "applies only with expect: matches")
	case it.has("matches"):
		if _, err := regexp.Compile(rule.Matches); err != nil {
			it.fail("matches", "invalid regular expression: %v", err)
		}
	}
}

func checkNoData(it *item, rule *Rule) {
	rule.Target = it.oneOf("target", TargetMonitor, TargetLocation, TargetService)
	if it.has("group_by") {
		it.fail("group_by", "does not apply to kind no_data, which groups by its target")
	}
	switch {
	case rule.Target == TargetService && len(rule.Services) == 0:
		it.fail("target", "target service needs a non-empty services: list")
	case rule.Target != TargetService && it.has("services"):
		it.fail("services", "applies only to target service")
	case rule.Target != TargetLocation && it.has("baseline"):
		it.fail("baseline", "applies only to target location")
	}
	if rule.Target == TargetLocation && rule.Baseline == 0 {
		rule.Baseline = DefaultNoDataBaseline
	}
	rule.GroupBy = []string{rule.Target}
}
