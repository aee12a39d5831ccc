package alert

import (
	"cmp"
	"slices"
	"time"

	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
)

// index is the results of one evaluation grouped by monitor and location,
// newest first, built once so that no rule scans every result.
type index struct {
	now      time.Time
	monitors map[string]*monitorInfo
	all      []*monitorInfo // sorted by id
	byTag    map[string][]*monitorInfo
	lastSpan map[string]time.Time
	since    map[string]time.Time // when each monitor came into force
}

// monitorInfo is one monitor: its definition (nil when it is only known
// from results, e.g. deleted) and its results per location.
type monitorInfo struct {
	id       string
	def      *monitor.Monitor
	interval time.Duration
	service  string
	buckets  []*bucket // sorted by location
}

type bucket struct {
	monitor  *monitorInfo
	location string
	recs     []rec // newest first
}

// rec is a result with what every rule would otherwise compute again.
type rec struct {
	*result.Result
	fp      string // error fingerprint, computed on first use
	fpDone  bool
	counted bool
	up      bool
	at      int64 // Timestamp in Unix nanoseconds: cheaper to compare
}

func (r *rec) fingerprint() string {
	if !r.fpDone {
		r.fp, r.fpDone = Fingerprint(errorOf(r.Result)), true
	}
	return r.fp
}

func buildIndex(d Data) *index {
	ix := &index{now: d.Now, monitors: map[string]*monitorInfo{}, byTag: map[string][]*monitorInfo{}, lastSpan: d.LastSpan, since: d.MonitorSince}
	for i := range d.Monitors {
		m := &d.Monitors[i]
		info := ix.monitor(m.ID)
		info.def, info.interval, info.service = m, Interval(m), m.Labels["service"]
		for _, tag := range m.Tags {
			ix.byTag[tag] = append(ix.byTag[tag], info)
		}
	}
	buckets := map[[2]string]*bucket{}
	for i := range d.Results {
		r := &d.Results[i]
		key := [2]string{r.Monitor.ID, r.Observer.Geo.Name}
		b := buckets[key]
		if b == nil {
			info := ix.monitor(r.Monitor.ID)
			b = &bucket{monitor: info, location: key[1]}
			buckets[key] = b
			info.buckets = append(info.buckets, b)
		}
		b.recs = append(b.recs, rec{Result: r, counted: counted(r), up: r.Up(), at: r.Timestamp.UnixNano()})
	}
	for _, info := range ix.monitors {
		ix.all = append(ix.all, info)
		slices.SortFunc(info.buckets, func(a, b *bucket) int { return cmp.Compare(a.location, b.location) })
		for _, b := range info.buckets {
			slices.SortFunc(b.recs, newestFirst)
		}
	}
	slices.SortFunc(ix.all, func(a, b *monitorInfo) int { return cmp.Compare(a.id, b.id) })
	return ix
}

func (ix *index) monitor(id string) *monitorInfo {
	info := ix.monitors[id]
	if info == nil {
		info = &monitorInfo{id: id}
		ix.monitors[id] = info
	}
	return info
}

// newestFirst orders by time, then id so that equal times sort the same
// way whatever the input order.
func newestFirst(a, b rec) int {
	return cmp.Or(cmp.Compare(b.at, a.at), cmp.Compare(a.ID, b.ID))
}

// counted reports whether a result decides the state of its run: a failure
// that is about to be re-checked does not, or each run would count twice.
// Attempt 0 marks a result not written by the check workflow; it counts.
func counted(r *result.Result) bool {
	return r.Up() || r.Vigil.Confirmed || r.Vigil.Attempt == 0
}

// selected returns the monitors a rule applies to: those it names or
// tags (either), or every monitor when it names none.
func (ix *index) selected(r *Rule) []*monitorInfo {
	if len(r.Monitors) == 0 && len(r.Tags) == 0 {
		return ix.all
	}
	var out []*monitorInfo
	seen := map[string]bool{}
	add := func(info *monitorInfo) {
		if info != nil && !seen[info.id] {
			seen[info.id] = true
			out = append(out, info)
		}
	}
	for _, id := range r.Monitors {
		add(ix.monitors[id])
	}
	for _, tag := range r.Tags {
		for _, info := range ix.byTag[tag] {
			add(info)
		}
	}
	return out
}

// since returns the records of b at or after t (newest first).
func (b *bucket) since(t time.Time) []rec {
	if t.IsZero() {
		return b.recs
	}
	ns := t.UnixNano()
	n, _ := slices.BinarySearchFunc(b.recs, ns, func(r rec, ns int64) int {
		if r.at < ns {
			return 1
		}
		return -1
	})
	return b.recs[:n]
}
