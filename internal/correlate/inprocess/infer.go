package inprocess

import (
	"math"
	"time"

	"github.com/vigil-dev/vigil/internal/correlate"
	"github.com/vigil-dev/vigil/internal/span"
)

// Weights of the evidence. An identifying field shared with exactly one
// request outweighs everything else; thread affinity nearly so where the
// process shows it; API affinity and the gap break the remaining ties.
const (
	wToken      = 100.0
	wThread     = 50.0
	wAdjacent   = 30.0 // thread adjacency: see adjacency.go
	wNeverCall  = 20.0 // the request's operation was never seen making this call
	wOverCap    = 10.0 // the request already made this call as often as such requests do
	decisive    = 25.0 // a margin that settles a call before API affinity is learned
	refinements = 2
)

// request is a server span and what has been linked to it so far.
type request struct {
	s        *span.Span
	op       string
	tid      int
	toks     map[string]bool
	children []*call
	ops      map[string]int // children per operation
}

type call struct {
	c      *span.Span
	op     string
	tid    int
	toks   []string
	cands  []*request
	parent *request
	conf   float64
}

type inference struct {
	reqs   map[*span.Span]*request
	calls  []*call
	df     map[string]int // requests carrying each token
	thread bool           // requests here run on a thread of their own
	api    map[string]map[string]float64
	seen   map[string]int // requests of each operation with linked calls
	total  map[string]int // requests of each operation
	adj    adjacency
	callOf map[*span.Span]*call
	next   map[*call][]*call // calls that continued from a call
}

func infer(g *group, o Options) []correlate.Edge {
	in := &inference{reqs: make(map[*span.Span]*request, len(g.servers)), df: map[string]int{},
		adj: threadAdjacency(g), callOf: map[*span.Span]*call{}, next: map[*call][]*call{}}
	for _, s := range g.servers {
		r := &request{s: s, op: operation(s), tid: threadOf(s), toks: map[string]bool{}, ops: map[string]int{}}
		for _, t := range fields(s, o) {
			if !r.toks[t] {
				r.toks[t] = true
				in.df[t]++
			}
		}
		in.reqs[s] = r
	}
	for _, c := range g.clients {
		cl := &call{c: c, op: operation(c), tid: threadOf(c), toks: fields(c, o)}
		for _, s := range g.candidates(c, o.Slack) {
			cl.cands = append(cl.cands, in.reqs[s])
		}
		if len(cl.cands) > 0 {
			in.calls = append(in.calls, cl)
			in.callOf[c] = cl
		}
	}
	for _, cl := range in.calls {
		if p := in.callOf[in.adj.after[cl.c]]; p != nil {
			in.next[p] = append(in.next[p], cl)
		}
	}
	// Calls within one request only are certain; they show whether this
	// runtime keeps a request on one thread.
	for _, cl := range in.calls {
		if len(cl.cands) == 1 {
			in.link(cl, cl.cands[0], 1)
		}
	}
	in.thread = in.threadAffinity()
	// Then what identifying fields or threads settle, before the rest is
	// judged by API affinity learned from all of that.
	in.settle(func(cl *call) (*request, float64, bool) {
		best, margin := in.best(cl)
		return best, margin, margin >= decisive
	})
	in.learnAPI()
	in.settle(func(cl *call) (*request, float64, bool) {
		best, margin := in.best(cl)
		return best, margin, best != nil
	})
	// Calls linked early were judged before their neighbours were: judge
	// each again, knowing every other link (the later calls of its thread,
	// which requests already have such a call).
	for range refinements {
		in.learnAPI()
		for _, cl := range in.calls {
			if len(cl.cands) < 2 {
				continue
			}
			in.unlink(cl)
			best, margin := in.best(cl)
			in.link(cl, best, confidence(margin))
		}
	}
	out := make([]correlate.Edge, 0, len(in.calls))
	for _, cl := range in.calls {
		if cl.parent != nil {
			out = append(out, correlate.Edge{Parent: cl.parent.s.ID, Child: cl.c.ID, How: HowInferred, Confidence: cl.conf})
		}
	}
	return out
}

func fields(s *span.Span, o Options) []string {
	if o.NoFields {
		return nil
	}
	return tokens(s)
}

// settle links, in start order, every open call that decide settles.
// Start order matters: a call's gap is measured from the calls linked
// before it.
func (in *inference) settle(decide func(*call) (*request, float64, bool)) {
	for _, cl := range in.calls {
		if cl.parent != nil {
			continue
		}
		if r, margin, ok := decide(cl); ok {
			in.link(cl, r, confidence(margin))
		}
	}
}

func (in *inference) unlink(cl *call) {
	r := cl.parent
	if r == nil {
		return
	}
	for i, ch := range r.children {
		if ch == cl {
			r.children = append(r.children[:i], r.children[i+1:]...)
			break
		}
	}
	r.ops[cl.op]--
	cl.parent = nil
}

func (in *inference) link(cl *call, r *request, conf float64) {
	cl.parent, cl.conf = r, conf
	r.children = append(r.children, cl)
	r.ops[cl.op]++
}

// best is the most likely cause of cl and its lead over the runner-up
// (+Inf when there is none).
func (in *inference) best(cl *call) (*request, float64) {
	var best *request
	first, second := math.Inf(-1), math.Inf(-1)
	for _, r := range cl.cands {
		sc := in.score(cl, r)
		if sc > first {
			best, first, second = r, sc, first
		} else if sc > second {
			second = sc
		}
	}
	return best, first - second
}

func (in *inference) score(cl *call, r *request) float64 {
	var sc float64
	for _, t := range cl.toks {
		if r.toks[t] {
			sc += wToken / float64(in.df[t])
		}
	}
	if in.thread && cl.tid != 0 && r.tid != 0 {
		if cl.tid == r.tid {
			sc += wThread
		} else {
			sc -= wThread
		}
	}
	sc += in.adjacent(cl, r)
	if in.seen[r.op] == 0 && in.total[r.op] >= 3 && in.api != nil {
		sc -= wNeverCall // requests of this operation were never seen calling out
	} else if calls, ok := in.api[r.op]; ok && in.seen[r.op] >= 3 {
		if per := calls[cl.op]; per == 0 {
			sc -= wNeverCall
		} else if float64(r.ops[cl.op]) >= math.Round(per) {
			sc -= wOverCap * (float64(r.ops[cl.op]) - math.Round(per) + 1)
		}
	}
	return sc - math.Log1p(float64(in.gap(cl, r)/time.Microsecond))
}

// adjacent weighs what the threads' timelines say about cl and r: r's
// read or response write right next to cl, or a neighbouring call of the
// same thread already linked to r.
func (in *inference) adjacent(cl *call, r *request) float64 {
	var sc float64
	if in.adj.first[cl.c] == r.s {
		sc += wAdjacent
	}
	if in.adj.last[cl.c] == r.s {
		sc += wAdjacent
	}
	if p := in.callOf[in.adj.after[cl.c]]; p != nil && p.parent == r {
		sc += wAdjacent
	}
	for _, n := range in.next[cl] {
		if n.parent == r {
			sc += wAdjacent
		}
	}
	return sc
}

// gap is how long r had been idle when cl began: since it started, or
// since the last of its linked calls that ended before cl began.
func (in *inference) gap(cl *call, r *request) time.Duration {
	last := r.s.Timestamp
	for _, ch := range r.children {
		if e := ch.c.End(); e.After(last) && !e.After(cl.c.Timestamp) {
			last = e
		}
	}
	if d := cl.c.Timestamp.Sub(last); d > 0 {
		return d
	}
	return 0
}

// threadAffinity: most certain links stay on their request's thread.
func (in *inference) threadAffinity() bool {
	same, n := 0, 0
	for _, cl := range in.calls {
		if cl.parent == nil || cl.tid == 0 || cl.parent.tid == 0 {
			continue
		}
		n++
		if cl.tid == cl.parent.tid {
			same++
		}
	}
	return n >= 5 && float64(same) >= 0.9*float64(n)
}

// learnAPI averages, per request operation, how many calls of each
// operation its requests with linked calls made.
func (in *inference) learnAPI() {
	in.api, in.seen, in.total = map[string]map[string]float64{}, map[string]int{}, map[string]int{}
	for _, r := range in.reqs {
		in.total[r.op]++
		if len(r.children) == 0 {
			continue
		}
		in.seen[r.op]++
		m := in.api[r.op]
		if m == nil {
			m = map[string]float64{}
			in.api[r.op] = m
		}
		for op, n := range r.ops {
			m[op] += float64(n)
		}
	}
	for op, m := range in.api {
		for k := range m {
			m[k] /= float64(in.seen[op])
		}
	}
}

func confidence(margin float64) float64 {
	if math.IsInf(margin, 1) {
		return 1
	}
	return 1 / (1 + math.Exp(-margin/4))
}
