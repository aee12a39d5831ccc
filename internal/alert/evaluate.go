package alert

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/vigil-dev/vigil/internal/result"
)

// Evaluate compiles rules and evaluates them once. A caller that evaluates
// the same rules repeatedly should Compile them once and call
// Compiled.Evaluate: compiling conditions costs more than evaluating.
func Evaluate(rules []Rule, d Data) ([]Alert, []RuleError) {
	c, errs := Compile(rules)
	alerts, more := c.Evaluate(d)
	return alerts, append(errs, more...)
}

// Evaluate returns one Alert per rule and group it could evaluate: firing
// or not (groups that have data and do not fire let the caller resolve
// incidents). A rule that fails is reported and yields no alerts; the
// others are evaluated. Alerts come in rule order, groups sorted by key.
func (c *Compiled) Evaluate(d Data) ([]Alert, []RuleError) {
	ev := &evaluator{ix: buildIndex(d), groups: map[groupID]*group{}}
	var alerts []Alert
	var errs []RuleError
	for _, cr := range c.rules {
		out, err := ev.rule(cr)
		if err != nil {
			errs = append(errs, RuleError{Rule: cr.Name, Err: err})
			continue
		}
		slices.SortFunc(out, func(a, b Alert) int { return strings.Compare(a.Key, b.Key) })
		alerts = append(alerts, out...)
	}
	return alerts, errs
}

// evaluator holds one evaluation's index and scratch space reused by rules.
type evaluator struct {
	ix     *index
	groups map[groupID]*group
	order  []*group
	spare  []*group // emptied groups, reused
	buf    []entry
	floats []float64
	vm     vm.VM
}

// group is the entries of one group of a rule, newest first when they come
// from one bucket or the kind needs the order.
type group struct {
	id      groupID
	bucket  *bucket // the first bucket it got entries from
	merged  bool    // entries came from several buckets and need sorting
	entries []entry
}

// entry is one thing a kind looks at: a result, or one step of it, or one
// domain or error of it.
type entry struct {
	rec  *rec
	step int  // index of the step the entry is about, -1 for the result
	bad  bool // down, too slow, violating: what the kind counts
	val  float64
	item string // the domain or error fingerprint of the entry
}

func (e *entry) at() int64 { return e.rec.at }

func (ev *evaluator) rule(cr *compiledRule) ([]Alert, error) {
	if cr.Kind == KindNoData {
		return ev.noData(cr), nil
	}
	var out []Alert
	from := rangeStart(cr.Rule, ev.ix.now)
	// when groups never span buckets, each bucket is evaluated on its own:
	// its entries are in order and the group map stays small
	perBucket := cr.groups&(hasMonitor|hasLocation) == hasMonitor|hasLocation
	ev.reset()
	for _, info := range ev.ix.selected(cr.Rule) {
		for _, b := range info.buckets {
			if len(cr.Locations) > 0 && !slices.Contains(cr.Locations, b.location) {
				continue
			}
			ev.collect(cr, b, from)
			if perBucket {
				var err error
				if out, err = ev.emit(cr, out); err != nil {
					return nil, err
				}
			}
		}
	}
	if perBucket {
		return out, nil
	}
	if cr.Kind == KindConsecutiveFailures {
		for _, g := range ev.order {
			if g.merged {
				slices.SortFunc(g.entries, func(a, b entry) int { return newestFirst(*a.rec, *b.rec) })
			}
		}
	}
	return ev.emit(cr, out)
}

// emit appends the alerts of the groups collected so far and resets them.
func (ev *evaluator) emit(cr *compiledRule, out []Alert) ([]Alert, error) {
	defer ev.reset()
	for _, g := range ev.order {
		o := measure(cr, g, ev)
		if o.fire && cr.program != nil {
			ok, err := ev.condition(cr, &g.id, o)
			if err != nil {
				return nil, err
			}
			o.fire = ok
		}
		out = append(out, newAlert(cr, &g.id, o, newest(g.entries)))
	}
	return out, nil
}

// reset empties the groups, keeping them for reuse.
func (ev *evaluator) reset() {
	if len(ev.groups) > 0 {
		clear(ev.groups)
	}
	for _, g := range ev.order {
		g.entries = g.entries[:0]
		ev.spare = append(ev.spare, g)
	}
	ev.order = ev.order[:0]
}

// collect sorts the entries of one bucket's results into groups.
func (ev *evaluator) collect(cr *compiledRule, b *bucket, from time.Time) {
	recs := b.since(from)
	for i := range recs {
		ev.buf = expand(cr, &recs[i], ev.buf[:0])
		for _, e := range ev.buf {
			ev.add(cr, b, e)
		}
	}
}

// rangeStart is the oldest time a rule looks at; consecutive_failures
// looks at whatever the caller passed.
func rangeStart(r *Rule, now time.Time) time.Time {
	if r.Kind == KindConsecutiveFailures {
		return time.Time{}
	}
	return now.Add(-ruleLookback(r, 0))
}

func (ev *evaluator) add(cr *compiledRule, b *bucket, e entry) {
	id := groupOf(cr, b, &e)
	g := ev.groups[id]
	if g == nil {
		if n := len(ev.spare); n > 0 {
			g, ev.spare = ev.spare[n-1], ev.spare[:n-1]
			*g = group{id: id, bucket: b, entries: g.entries}
		} else {
			g = &group{id: id, bucket: b}
		}
		ev.groups[id] = g
		ev.order = append(ev.order, g)
	} else if g.bucket != b {
		g.merged = true
	}
	g.entries = append(g.entries, e)
}

func groupOf(cr *compiledRule, b *bucket, e *entry) groupID {
	var id groupID
	s := cr.groups
	if s&hasMonitor != 0 {
		id.monitor = b.monitor.id
	}
	if s&hasLocation != 0 {
		id.location = b.location
	}
	if s&hasStep != 0 {
		id.step = stepName(e)
	}
	if s&hasService != 0 {
		id.service = b.monitor.service
	}
	if s&hasDomain != 0 {
		id.domain = domainOf(cr, e)
	}
	if s&hasHeader != 0 {
		id.header = cr.Header
	}
	if s&hasError != 0 {
		id.err = errorLabel(cr, e)
	}
	return id
}

func stepName(e *entry) string {
	r := e.rec.Result
	if e.step >= 0 {
		return r.Steps[e.step].Synthetics.Step.Name
	}
	if i := failingStep(r); i >= 0 {
		return r.Steps[i].Synthetics.Step.Name
	}
	return ""
}

// failingStep is the index of the first down step, or -1.
func failingStep(r *result.Result) int {
	for i := range r.Steps {
		if r.Steps[i].Synthetics.Step.Status == result.StatusDown {
			return i
		}
	}
	return -1
}

func domainOf(cr *compiledRule, e *entry) string {
	if cr.Kind == KindUnexpectedResource {
		return e.item
	}
	if e.rec.URL != nil {
		return e.rec.URL.Domain
	}
	return ""
}

func errorLabel(cr *compiledRule, e *entry) string {
	if cr.Kind == KindNewError || cr.Kind == KindErrorSpike {
		return e.item
	}
	return e.rec.fingerprint()
}

// condition runs a rule's condition over a group that fires.
func (ev *evaluator) condition(cr *compiledRule, id *groupID, o outcome) (bool, error) {
	env := Env{Value: o.value, Count: o.count, Total: o.total, Ratio: o.ratio,
		Monitor: id.monitor, Location: id.location, Step: id.step, Service: id.service,
		Domain: id.domain, Header: id.header, Error: id.err, Severity: cr.Severity,
		Labels: labelsOf(cr.labels, id)}
	out, err := ev.vm.Run(cr.program, env)
	if err != nil {
		return false, fmt.Errorf("condition: %w", exprError(err))
	}
	b, ok := out.(bool)
	if !ok {
		return false, errors.New("condition: not a boolean")
	}
	return b, nil
}

func newest(entries []entry) *entry {
	var n *entry
	for i := range entries {
		n = newer(n, &entries[i])
	}
	return n
}

func labelsOf(names []string, id *groupID) map[string]string {
	m := make(map[string]string, len(names))
	for _, n := range names {
		m[n] = id.get(n)
	}
	return m
}
