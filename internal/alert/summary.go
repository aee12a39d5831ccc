package alert

import (
	"fmt"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/internal/result"
)

func newAlert(cr *compiledRule, id *groupID, o outcome, newest *entry) Alert {
	ev := o.evidence
	if ev == nil {
		ev = newest
	}
	a := Alert{
		Rule:         cr.Name,
		Key:          alertKey(cr.Name, cr.labels, id),
		Labels:       labelsOf(cr.labels, id),
		Firing:       o.fire,
		Value:        o.value,
		Summary:      summary(cr, id, o),
		Severity:     cr.Severity,
		Channels:     cr.Channels,
		RemindEvery:  cr.RemindEvery,
		ResolveAfter: cr.ResolveAfter,
	}
	if ev != nil {
		a.Evidence = evidence(ev.rec.Result, ev.step)
	}
	return a
}

// evidence describes a result for a notification; step is the step the
// alert is about, or -1 for the first failing one.
func evidence(r *result.Result, step int) Evidence {
	if step < 0 {
		step = failingStep(r)
	}
	e := Evidence{ResultID: r.ID, Monitor: r.Monitor.ID, Location: r.Observer.Geo.Name,
		Commit: r.Vigil.Commit, WorkflowID: r.Vigil.WorkflowID, RunID: r.Vigil.RunID,
		Confirmed: r.Vigil.Confirmed, At: r.Timestamp}
	if err := errorOf(r); err != nil {
		e.Error = err.Type + ": " + err.Message
	}
	if step >= 0 {
		s := &r.Steps[step]
		e.Step = s.Synthetics.Step.Name
		e.Assertion = failedAssertion(s.Assertions)
		if s.Error != nil && e.Error == "" {
			e.Error = s.Error.Type + ": " + s.Error.Message
		}
		if id, ok := s.Details["trace_id"].(string); ok {
			e.TraceID = id // the trace of the step the alert is about
		}
	}
	for _, id := range r.TraceIDs() { // the traces the run's requests propagated
		if e.TraceID == "" {
			e.TraceID = id
		}
		if id != e.TraceID {
			e.TraceIDs = append(e.TraceIDs, id)
		}
	}
	if e.TraceID != "" {
		e.TraceIDs = append([]string{e.TraceID}, e.TraceIDs...)
	}
	return e
}

func failedAssertion(as []result.Assertion) string {
	for _, a := range as {
		if !a.Passed {
			if a.Message != "" {
				return a.Expression + " (" + a.Message + ")"
			}
			return a.Expression
		}
	}
	return ""
}

// subject names a group: who ("checkout") and where (" in eu-west at
// step pay").
func subject(cr *compiledRule, id *groupID) (string, string) {
	who := id.monitor
	if who == "" {
		who = "monitors of rule " + cr.Name
	}
	var b strings.Builder
	if id.location != "" {
		b.WriteString(" in " + id.location)
	}
	if id.step != "" {
		b.WriteString(" at step " + id.step)
	}
	if id.service != "" {
		b.WriteString(" (service " + id.service + ")")
	}
	return who, b.String()
}

func summary(cr *compiledRule, id *groupID, o outcome) string {
	who, where := subject(cr, id)
	s := who + where
	w := dur(cr.Window)
	switch cr.Kind {
	case KindConsecutiveFailures:
		if o.fire {
			return fmt.Sprintf("%s is down%s: %d consecutive failures", who, where, o.count)
		}
		return fmt.Sprintf("%s: %d consecutive failures (alert at %d)", s, o.count, cr.Threshold)
	case KindFailureCount:
		return fmt.Sprintf("%s: %d failures of %d runs in %s (alert at %d)", s, o.count, o.total, w, cr.Threshold)
	case KindFailureRatio:
		return fmt.Sprintf("%s: %.0f%% of %d runs failed in %s (alert at %.0f%%)", s, 100*o.ratio, o.total, w, 100*cr.Ratio)
	case KindLatency:
		return fmt.Sprintf("%s: p%g %s is %s over %d samples in %s (alert above %s)", s, cr.Percentile, cr.Measure,
			amount(cr, o.value), o.total, w, amount(cr, cr.Above))
	case KindNewError:
		return fmt.Sprintf("%s: new error %q seen %d times in %s, never in the %s before", s, id.err, o.count, w, dur(cr.Baseline))
	case KindErrorSpike:
		return fmt.Sprintf("%s: error %q seen %d times in %s, %d times in the %s before", s, id.err, o.count, w, o.total, dur(cr.Baseline))
	case KindUnexpectedResource:
		return fmt.Sprintf("%s contacted unexpected domain %s in %d runs in %s", s, id.domain, o.count, w)
	case KindResponseHeader:
		return fmt.Sprintf("%s: header %s %s in %d of %d responses in %s", s, cr.Header, headerProblem(cr), o.count, o.total, w)
	}
	return s
}

// dur writes a duration without trailing zero units: "10m", not "10m0s".
func dur(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// amount writes a latency value with its unit.
func amount(cr *compiledRule, v float64) string {
	if cr.Measure == MeasureCLS {
		return fmt.Sprintf("%.3g", v)
	}
	return fmt.Sprintf("%.0fms", v)
}

func headerProblem(cr *compiledRule) string {
	switch cr.Expect {
	case ExpectPresent:
		return "was missing"
	case ExpectAbsent:
		return "was present"
	}
	return fmt.Sprintf("did not match %q", cr.Matches)
}
