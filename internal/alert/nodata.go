package alert

import (
	"fmt"
	"slices"
	"time"
)

// noData evaluates a no_data rule: one alert per monitor, location or
// service it expects to hear from.
func (ev *evaluator) noData(cr *compiledRule) []Alert {
	switch cr.Target {
	case TargetMonitor:
		return ev.silentMonitors(cr)
	case TargetLocation:
		return ev.silentLocations(cr)
	default:
		return ev.silentServices(cr)
	}
}

// silentMonitors gives each monitor a grace of max(for, 3 intervals):
// a monitor that runs every 10m is not late after 5m. Paused monitors and
// monitors only known from results (deleted) are not expected to run.
func (ev *evaluator) silentMonitors(cr *compiledRule) []Alert {
	var out []Alert
	for _, info := range ev.ix.selected(cr.Rule) {
		if info.def == nil || info.def.Paused {
			continue
		}
		var newest *rec
		for _, b := range info.buckets {
			if len(cr.Locations) > 0 && !slices.Contains(cr.Locations, b.location) {
				continue
			}
			if len(b.recs) > 0 && (newest == nil || b.recs[0].Timestamp.After(newest.Timestamp)) {
				newest = &b.recs[0]
			}
		}
		grace := max(cr.For, 3*info.interval)
		out = append(out, ev.silence(cr, groupID{monitor: info.id}, newest, grace, info.interval, ev.expectedFor(info.id)))
	}
	return out
}

// silentLocations expects the locations listed in the rule and those the
// selected monitors reported from in the baseline.
func (ev *evaluator) silentLocations(cr *compiledRule) []Alert {
	newest := map[string]*rec{}
	for _, l := range cr.Locations {
		newest[l] = nil
	}
	since := ev.ix.now.Add(-cr.Baseline)
	for _, info := range ev.ix.selected(cr.Rule) {
		for _, b := range info.buckets {
			n, listed := newest[b.location]
			if len(b.recs) == 0 || (len(cr.Locations) > 0 && !listed) || b.recs[0].Timestamp.Before(since) {
				continue
			}
			if n == nil || b.recs[0].Timestamp.After(n.Timestamp) {
				newest[b.location] = &b.recs[0]
			}
		}
	}
	// A listed location that never reported is silent once the selected
	// monitors have been expected there longer than for.
	var expected time.Duration
	for _, info := range ev.ix.selected(cr.Rule) {
		expected = max(expected, ev.expectedFor(info.id))
	}
	out := make([]Alert, 0, len(newest))
	for loc, r := range newest {
		out = append(out, ev.silence(cr, groupID{location: loc}, r, cr.For, 0, expected))
	}
	return out
}

// expectedFor is how long the monitor has been in force (0: unknown).
func (ev *evaluator) expectedFor(id string) time.Duration {
	since, ok := ev.ix.since[id]
	if !ok {
		return 0
	}
	return ev.ix.now.Sub(since)
}

func (ev *evaluator) silentServices(cr *compiledRule) []Alert {
	out := make([]Alert, 0, len(cr.Services))
	for _, svc := range cr.Services {
		id := groupID{service: svc}
		last, ok := ev.ix.lastSpan[svc]
		age := ev.ix.now.Sub(last)
		o := outcome{fire: !ok || age > cr.For, value: age.Seconds()}
		if !ok {
			o.value = 0
		}
		a := newAlert(cr, &id, o, nil)
		a.Summary = silenceSummary("service "+svc, "spans", ok, age, cr.For)
		if ok {
			a.Evidence.At = last
		}
		out = append(out, a)
	}
	return out
}

// silence builds the alert of one monitor or location whose newest
// result is r (nil: none in the data). Value is the age in seconds.
// A monitor or location without any result is silent only once it has been
// expected for longer than the grace: at a first start nothing has run yet.
func (ev *evaluator) silence(cr *compiledRule, id groupID, r *rec, grace, interval, expected time.Duration) Alert {
	var age time.Duration
	if r != nil {
		age = ev.ix.now.Sub(r.Timestamp)
	}
	o := outcome{fire: (r == nil && expected > grace) || (r != nil && age > grace), value: age.Seconds()}
	var newest *entry
	if r != nil {
		newest = &entry{rec: r, step: -1}
	}
	a := newAlert(cr, &id, o, newest)
	who := "monitor " + id.monitor
	if id.location != "" {
		who = "location " + id.location
	}
	a.Summary = silenceSummary(who, "results", r != nil, age, grace)
	if interval > 0 {
		a.Summary += fmt.Sprintf(" (runs every %s)", dur(interval))
	}
	return a
}

func silenceSummary(who, what string, seen bool, age, grace time.Duration) string {
	if !seen {
		return fmt.Sprintf("no %s from %s in the data (alert after %s)", what, who, dur(grace))
	}
	return fmt.Sprintf("last %s from %s %s ago (alert after %s)", what, who, dur(age.Round(time.Second)), dur(grace))
}
