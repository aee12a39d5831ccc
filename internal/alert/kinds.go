package alert

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/internal/result"
)

// outcome is what a kind measured over one group.
type outcome struct {
	fire         bool
	value, ratio float64
	count, total int
	evidence     *entry // nil: the group's newest entry
}

// expand appends the entries a rule's kind sees in one result.
func expand(cr *compiledRule, rc *rec, buf []entry) []entry {
	r := rc.Result
	switch cr.Kind {
	case KindConsecutiveFailures, KindFailureCount, KindFailureRatio:
		if !rc.counted {
			return buf
		}
		if cr.groups&hasStep == 0 {
			return append(buf, entry{rec: rc, step: -1, bad: !rc.up})
		}
		for i := range r.Steps {
			buf = append(buf, entry{rec: rc, step: i, bad: r.Steps[i].Synthetics.Step.Status == result.StatusDown})
		}
	case KindLatency:
		return expandLatency(cr, rc, buf)
	case KindNewError, KindErrorSpike:
		if rc.counted && !rc.up && rc.fingerprint() != "" {
			buf = append(buf, entry{rec: rc, step: -1, bad: true, item: rc.fingerprint()})
		}
	case KindUnexpectedResource:
		if r.Browser == nil {
			return buf
		}
		for _, d := range r.Browser.ThirdParty {
			if !allowedDomain(d, cr.AllowedDomains) {
				buf = append(buf, entry{rec: rc, step: -1, bad: true, item: d})
			}
		}
	case KindResponseHeader:
		return expandHeader(cr, rc, buf)
	}
	return buf
}

// allowedDomain matches a domain or any of its subdomains.
func allowedDomain(d string, allowed []string) bool {
	d = strings.ToLower(strings.TrimSuffix(d, "."))
	for _, a := range allowed {
		a = strings.ToLower(strings.TrimPrefix(a, "*."))
		if d == a || strings.HasSuffix(d, "."+a) {
			return true
		}
	}
	return false
}

func expandHeader(cr *compiledRule, rc *rec, buf []entry) []entry {
	whole := entry{rec: rc, step: -1}
	seen := false
	for i := range rc.Steps {
		s := &rc.Steps[i]
		if s.HTTP == nil || (cr.Step != "" && s.Synthetics.Step.Name != cr.Step) {
			continue
		}
		bad := violates(cr, s.HTTP.Response.Headers)
		if cr.groups&hasStep != 0 {
			buf = append(buf, entry{rec: rc, step: i, bad: bad})
			continue
		}
		seen = true
		whole.bad = whole.bad || bad
	}
	if seen {
		buf = append(buf, whole)
	}
	return buf
}

// violates reports whether response headers break a response_header rule.
func violates(cr *compiledRule, headers map[string]string) bool {
	v, ok := headers[cr.Header]
	if !ok {
		for k, x := range headers {
			if strings.EqualFold(k, cr.Header) {
				v, ok = x, true
				break
			}
		}
	}
	switch cr.Expect {
	case ExpectPresent:
		return !ok
	case ExpectAbsent:
		return ok
	default:
		return !ok || !cr.matches.MatchString(v)
	}
}

// measure applies the kind's test to a group.
func measure(cr *compiledRule, g *group, ev *evaluator) outcome {
	if cr.Kind == KindConsecutiveFailures {
		return consecutive(cr, g.entries)
	}
	inWindow := g.entries
	if cr.Window > 0 {
		inWindow = g.entries[:partition(g.entries, ev.ix.now.Add(-cr.Window))]
	}
	switch cr.Kind {
	case KindLatency:
		return latency(cr, inWindow, ev)
	case KindNewError, KindErrorSpike:
		return errorCounts(cr, g.entries, inWindow)
	default:
		return counts(cr, inWindow)
	}
}

// partition moves the entries at or after start to the front and returns
// how many there are. Windowed kinds need no other order, which spares
// sorting groups merged from many monitors or locations.
func partition(entries []entry, start time.Time) int {
	n, ns := 0, start.UnixNano()
	for i := range entries {
		if entries[i].at() >= ns {
			entries[n], entries[i] = entries[i], entries[n]
			n++
		}
	}
	return n
}

// newer keeps the newest of two entries; a is nil at first.
func newer(a, b *entry) *entry {
	if a == nil || newestFirst(*b.rec, *a.rec) < 0 {
		return b
	}
	return a
}

func consecutive(cr *compiledRule, entries []entry) outcome {
	streak := 0
	for streak < len(entries) && entries[streak].bad {
		streak++
	}
	o := outcome{value: float64(streak), count: streak, total: len(entries), fire: streak >= cr.Threshold}
	o.ratio = ratio(streak, len(entries))
	return o
}

// counts serves the kinds that count bad entries in the window.
func counts(cr *compiledRule, window []entry) outcome {
	o := outcome{total: len(window)}
	for i := range window {
		if window[i].bad {
			o.evidence = newer(o.evidence, &window[i])
			o.count++
		}
	}
	o.ratio = ratio(o.count, o.total)
	o.value = float64(o.count)
	switch cr.Kind {
	case KindFailureCount:
		o.fire = o.count >= cr.Threshold
	case KindFailureRatio:
		o.value = o.ratio
		o.fire = o.total >= cr.MinResults && o.ratio >= cr.Ratio
	default: // unexpected_resource, response_header
		o.fire = o.count > 0
	}
	return o
}

func latency(cr *compiledRule, window []entry, ev *evaluator) outcome {
	vals := ev.floats[:0]
	o := outcome{total: len(window)}
	for i := range window {
		vals = append(vals, window[i].val)
		if window[i].bad {
			o.evidence = newer(o.evidence, &window[i])
			o.count++
		}
	}
	ev.floats = vals
	if len(vals) == 0 {
		return o
	}
	slices.Sort(vals)
	rank := int(math.Ceil(cr.Percentile/100*float64(len(vals)))) - 1
	o.value = vals[min(max(rank, 0), len(vals)-1)]
	o.ratio = ratio(o.count, o.total)
	o.fire = o.value > cr.Above
	return o
}

// errorCounts compares an error's occurrences in the window (the first
// entries) with the baseline before it.
func errorCounts(cr *compiledRule, entries, window []entry) outcome {
	inWindow := len(window)
	o := outcome{value: float64(inWindow), count: inWindow, total: len(entries) - inWindow}
	for i := range window {
		o.evidence = newer(o.evidence, &window[i])
	}
	if cr.Kind == KindNewError {
		o.fire = inWindow > 0 && o.total == 0
		return o
	}
	expected := float64(o.total) * float64(cr.Window) / float64(cr.Baseline)
	if expected > 0 {
		o.ratio = float64(inWindow) / expected
	}
	o.fire = inWindow >= cr.MinCount && float64(inWindow) >= cr.Factor*expected
	return o
}

func ratio(n, total int) float64 {
	if total == 0 {
		return 0
	}
	return float64(n) / float64(total)
}
