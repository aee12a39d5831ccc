// Package inprocess infers, inside one process, which incoming request
// caused which outgoing call when nothing in the bytes says so. It follows
// DeepTrace's transaction semantics: a call lies within the request that
// caused it, and among the requests it lies within, the cause is the one
// that shares the call's identifying fields (ids in paths, keys and
// queries), runs on the same thread where the runtime gives each request
// its own, usually calls this operation (API affinity, learned from the
// links that were certain) and left the shortest gap before the call (its
// previous call just ended, or it just began).
//
// Two baselines, for accuracy scoring, use time alone: FIFO (the oldest
// open request) and delay (the request that began nearest before).
package inprocess

import (
	"slices"
	"sort"
	"time"

	"github.com/vigil-dev/vigil/internal/correlate"
	"github.com/vigil-dev/vigil/internal/span"
)

// Methods of inference.
const (
	MethodInfer = ""      // transaction semantics (the default)
	MethodFIFO  = "fifo"  // baseline: the oldest request the call lies within
	MethodDelay = "delay" // baseline: the request that began nearest before the call
)

// Options tune the inference.
type Options struct {
	Method string
	// Slack lets a call poke out of its request by this much: the two are
	// timed by different syscalls' returns. 100 µs when zero.
	Slack time.Duration
	// NoFields ignores identifying fields: what the other evidence alone
	// achieves (accuracy scoring's ablation).
	NoFields bool
}

// How edges found here are marked.
const (
	HowInferred = "in-process"
	HowFIFO     = "in-process/fifo"
	HowDelay    = "in-process/delay"
)

type procKey struct {
	node    string
	pid     int
	service string
}

// group is one process's spans: requests it served and calls it made.
type group struct {
	servers, clients []*span.Span
	linked           []*span.Span // calls the traffic already linked: still on the threads' timelines
	starts, ends     []int64      // of servers (unix ns), in their order
	longest          int64        // of servers: bounds the search for candidates
}

// Edges returns, for each client span without a parent, the server span
// of the same process that caused it (none when it lies within no
// request: background work is a root).
func Edges(spans []span.Span, o Options) []correlate.Edge {
	if o.Slack == 0 {
		o.Slack = 100 * time.Microsecond
	}
	var out []correlate.Edge
	for _, g := range groups(spans) {
		switch o.Method {
		case MethodFIFO:
			out = append(out, pickBaseline(g, o, HowFIFO, func(c *span.Span, cands []*span.Span) *span.Span { return cands[0] })...)
		case MethodDelay:
			out = append(out, pickBaseline(g, o, HowDelay, func(c *span.Span, cands []*span.Span) *span.Span { return cands[len(cands)-1] })...)
		default:
			out = append(out, infer(g, o)...)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Child < out[b].Child })
	return out
}

func groups(spans []span.Span) map[procKey]*group {
	gs := map[procKey]*group{}
	for i := range spans {
		s := &spans[i]
		if s.Process.PID == 0 {
			continue // not seen in a process (datagrams, some OTLP)
		}
		k := procKey{s.Service.Node.Name, s.Process.PID, s.Service.Name}
		g := gs[k]
		if g == nil {
			g = &group{}
			gs[k] = g
		}
		switch {
		case s.Span.Kind == span.KindServer:
			g.servers = append(g.servers, s)
		case s.Span.Kind == span.KindClient && s.Parent == nil:
			g.clients = append(g.clients, s)
		case s.Span.Kind == span.KindClient:
			g.linked = append(g.linked, s)
		}
	}
	for _, g := range gs {
		byStart(g.servers)
		byStart(g.clients)
		g.starts, g.ends = make([]int64, len(g.servers)), make([]int64, len(g.servers))
		for i, s := range g.servers {
			g.starts[i], g.ends[i] = s.Timestamp.UnixNano(), s.End().UnixNano()
			g.longest = max(g.longest, g.ends[i]-g.starts[i])
		}
	}
	return gs
}

func byStart(ss []*span.Span) {
	sort.SliceStable(ss, func(a, b int) bool {
		if !ss[a].Timestamp.Equal(ss[b].Timestamp) {
			return ss[a].Timestamp.Before(ss[b].Timestamp)
		}
		return ss[a].ID < ss[b].ID
	})
}

// candidates are the requests c lies within, in start order.
func (g *group) candidates(c *span.Span, slack time.Duration) []*span.Span {
	// servers are in start order: only those that began before c, and not
	// longer ago than the longest request, can hold it.
	start, end, sl := c.Timestamp.UnixNano(), c.End().UnixNano(), int64(slack)
	n, _ := slices.BinarySearch(g.starts, start+sl+1)
	from, _ := slices.BinarySearch(g.starts[:n], end-g.longest-sl)
	var out []*span.Span
	for i := from; i < n; i++ {
		if end <= g.ends[i]+sl {
			out = append(out, g.servers[i])
		}
	}
	return out
}

// pickBaseline links each call to the candidate pick chooses.
func pickBaseline(g *group, o Options, how string, pick func(c *span.Span, cands []*span.Span) *span.Span) []correlate.Edge {
	var out []correlate.Edge
	for _, c := range g.clients {
		cands := g.candidates(c, o.Slack)
		if len(cands) == 0 {
			continue
		}
		out = append(out, correlate.Edge{Parent: pick(c, cands).ID, Child: c.ID, How: how, Confidence: 1 / float64(len(cands))})
	}
	return out
}
