package alert

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"github.com/robfig/cron/v3"

	"github.com/vigil-dev/vigil/internal/monitor"
)

// Env is what a rule's condition sees about one group.
type Env struct {
	Value    float64           `expr:"value"`
	Count    int               `expr:"count"`
	Total    int               `expr:"total"`
	Ratio    float64           `expr:"ratio"`
	Monitor  string            `expr:"monitor"`
	Location string            `expr:"location"`
	Step     string            `expr:"step"`
	Service  string            `expr:"service"`
	Domain   string            `expr:"domain"`
	Header   string            `expr:"header"`
	Error    string            `expr:"error"`
	Severity string            `expr:"severity"`
	Labels   map[string]string `expr:"labels"`
}

// Compiled is a set of rules ready to evaluate: conditions and regular
// expressions are compiled once, not at every evaluation.
type Compiled struct {
	rules []*compiledRule
}

type compiledRule struct {
	*Rule
	program *vm.Program
	matches *regexp.Regexp
	labels  []string // the labels of its groups, implicit ones included
	groups  labelSet
}

// Compile prepares rules for Evaluate. A rule that does not compile (only
// possible for rules not read by Parse) is reported and left out.
func Compile(rules []Rule) (*Compiled, []RuleError) {
	c := &Compiled{}
	var errs []RuleError
	for i := range rules {
		cr, err := compileRule(&rules[i])
		if err != nil {
			errs = append(errs, RuleError{Rule: rules[i].Name, Err: err})
			continue
		}
		c.rules = append(c.rules, cr)
	}
	return c, errs
}

func compileRule(rule *Rule) (*compiledRule, error) {
	if _, ok := kinds[rule.Kind]; !ok {
		return nil, fmt.Errorf("unknown kind %q", rule.Kind)
	}
	names := groupLabelNames(rule)
	cr := &compiledRule{Rule: rule, labels: names, groups: groupLabelsOf(names)}
	if rule.Condition != "" {
		p, err := compileCondition(rule.Condition)
		if err != nil {
			return nil, fmt.Errorf("condition: %w", err)
		}
		cr.program = p
	}
	if rule.Expect == ExpectMatches {
		re, err := regexp.Compile(rule.Matches)
		if err != nil {
			return nil, fmt.Errorf("matches: %w", err)
		}
		cr.matches = re
	}
	return cr, nil
}

func compileCondition(src string) (*vm.Program, error) {
	if strings.TrimSpace(src) == "" {
		return nil, errors.New("empty expression")
	}
	p, err := expr.Compile(src, expr.Env(Env{}), expr.AsBool())
	if err != nil {
		return nil, exprError(err)
	}
	return p, nil
}

// checkCondition reports a condition that does not compile.
func checkCondition(it *item, rule *Rule) {
	if !it.has("condition") {
		return
	}
	if _, err := compileCondition(rule.Condition); err != nil {
		it.fail("condition", "%v", err)
	}
}

// exprError keeps expr's message and position on one line.
func exprError(err error) error {
	var ferr *file.Error
	if errors.As(err, &ferr) {
		return fmt.Errorf("%s (at %d:%d of the expression)", ferr.Message, ferr.Line, ferr.Column+1)
	}
	first, _, _ := strings.Cut(err.Error(), "\n")
	return errors.New(first)
}

// AssumedInterval is the monitor interval Lookback assumes when it is given
// no monitors.
const AssumedInterval = 5 * time.Minute

// Lookback is how far back Data.Results must reach for rules. With
// monitors, consecutive_failures and no_data use the longest schedule
// interval among them; without, AssumedInterval. Windowed kinds look back
// twice their window, so that a group that fired in the previous window is
// still reported (not firing) and its incident can resolve.
func Lookback(rules []Rule, monitors ...monitor.Monitor) time.Duration {
	longest := time.Duration(0)
	for i := range monitors {
		longest = max(longest, Interval(&monitors[i]))
	}
	if longest == 0 {
		longest = AssumedInterval
	}
	var out time.Duration
	for i := range rules {
		out = max(out, ruleLookback(&rules[i], longest))
	}
	return out
}

func ruleLookback(r *Rule, interval time.Duration) time.Duration {
	switch r.Kind {
	case KindConsecutiveFailures:
		return time.Duration(r.Threshold+1) * interval
	case KindNewError, KindErrorSpike:
		return r.Window + r.Baseline
	case KindNoData:
		switch r.Target {
		case TargetMonitor:
			return max(r.For, 3*interval) + interval
		case TargetLocation:
			return max(r.For, r.Baseline)
		}
		return 0
	default:
		return 2 * r.Window
	}
}

// Interval is the time between two runs of a monitor; for a cron schedule,
// the longest gap among its next few runs. Zero when unknown.
func Interval(m *monitor.Monitor) time.Duration {
	if m.Schedule.Every > 0 {
		return m.Schedule.Every.Std()
	}
	sched, err := cron.ParseStandard(m.Schedule.Cron)
	if err != nil {
		return 0
	}
	var longest time.Duration
	t := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for range 8 {
		next := sched.Next(t)
		if next.IsZero() {
			break
		}
		longest = max(longest, next.Sub(t))
		t = next
	}
	return longest
}
