package inprocess

import (
	"math"
	"slices"

	"github.com/vigil-dev/vigil/internal/correlate"
	"github.com/vigil-dev/vigil/internal/span"
)

// Weights of the evidence. An identifying field shared with exactly one
// request outweighs everything else; thread affinity nearly so where the
// process shows it; thread adjacency next; API affinity and the gap break
// the remaining ties.
const (
	wToken      = 100.0
	wThread     = 50.0
	wAdjacent   = 30.0 // thread adjacency: see adjacency.go
	wNeverCall  = 20.0 // the request's operation was never seen making this call
	wOverCap    = 10.0 // the request already made this call as often as such requests do
	decisive    = 25.0 // a margin that settles a call before API affinity is learned
	refinements = 2
	// settled is a margin no later evidence overturns: such calls are not
	// judged again.
	settled = 2 * wToken / 3
)

// request is a server span and what has been linked to it so far.
type request struct {
	s         *span.Span
	start     int64 // unix ns
	op, tid   int
	toks      []int // interned, sorted
	children  []*call
	ops       map[int]int // children per operation
	childEnds []int64     // ends of the children, for the gap
}

type call struct {
	c          *span.Span
	start, end int64
	op, tid    int
	toks       []int
	cands      []*request
	parent     *request
	conf       float64
	margin     float64
	first      *request // adjacency: see adjacency.go
	last       *request
	after      *call   // the call it continued from
	next       []*call // calls that continued from it
}

type inference struct {
	calls  []*call
	df     []int // requests carrying each token
	thread bool  // requests here run on a thread of their own
	api    map[[2]int]float64
	seen   []int // requests of each operation with linked calls
	total  []int // requests of each operation
	reqs   []*request
}

// interner numbers strings.
type interner map[string]int

func (in interner) id(s string) int {
	if n, ok := in[s]; ok {
		return n
	}
	n := len(in)
	in[s] = n
	return n
}

func (in interner) ids(ss []string) []int {
	out := make([]int, 0, len(ss))
	for _, s := range ss {
		out = append(out, in.id(s))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func infer(g *group, o Options) []correlate.Edge {
	in := &inference{}
	ops, toks := interner{}, interner{}
	reqOf := make(map[*span.Span]*request, len(g.servers))
	for _, s := range g.servers {
		r := &request{s: s, start: s.Timestamp.UnixNano(), op: ops.id(operation(s)), tid: threadOf(s), toks: toks.ids(fields(s, o)), ops: map[int]int{}}
		reqOf[s] = r
		in.reqs = append(in.reqs, r)
	}
	callOf := make(map[*span.Span]*call, len(g.clients))
	for _, c := range g.clients {
		cl := &call{c: c, start: c.Timestamp.UnixNano(), end: c.End().UnixNano(), op: ops.id(operation(c)), tid: threadOf(c), toks: toks.ids(fields(c, o))}
		for _, s := range g.candidates(c, o.Slack) {
			cl.cands = append(cl.cands, reqOf[s])
		}
		if len(cl.cands) > 0 {
			in.calls = append(in.calls, cl)
			callOf[c] = cl
		}
	}
	in.df = make([]int, len(toks))
	for _, r := range in.reqs {
		for _, t := range r.toks {
			in.df[t]++
		}
	}
	in.seen, in.total = make([]int, len(ops)), make([]int, len(ops))
	adj := threadAdjacency(g)
	for _, cl := range in.calls {
		cl.first, cl.last = reqOf[adj.first[cl.c]], reqOf[adj.last[cl.c]]
		if p := callOf[adj.after[cl.c]]; p != nil {
			cl.after = p
			p.next = append(p.next, cl)
		}
	}
	// Calls within one request only are certain; they show whether this
	// runtime keeps a request on one thread.
	for _, cl := range in.calls {
		if len(cl.cands) == 1 {
			in.link(cl, cl.cands[0], math.Inf(1))
		}
	}
	in.thread = in.threadAffinity()
	// Then what identifying fields, threads or their timelines settle,
	// before the rest is judged with API affinity learned from all of that.
	in.settle(func(margin float64) bool { return margin >= decisive })
	in.learnAPI()
	in.settle(func(float64) bool { return true })
	// Calls linked early were judged before their neighbours were: judge
	// each again, knowing every other link (the later calls of its thread,
	// which requests already have such a call).
	for range refinements {
		in.learnAPI()
		for _, cl := range in.calls {
			if len(cl.cands) < 2 || cl.margin >= settled {
				continue
			}
			in.unlink(cl)
			best, margin := in.best(cl)
			in.link(cl, best, margin)
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

// settle links, in start order, every open call whose best cause leads by
// a margin ok accepts. Start order matters: a call's gap is measured from
// the calls linked before it.
func (in *inference) settle(ok func(margin float64) bool) {
	for _, cl := range in.calls {
		if cl.parent != nil {
			continue
		}
		if r, margin := in.best(cl); r != nil && ok(margin) {
			in.link(cl, r, margin)
		}
	}
}

func (in *inference) unlink(cl *call) {
	r := cl.parent
	if r == nil {
		return
	}
	if i := slices.Index(r.children, cl); i >= 0 {
		r.children = slices.Delete(r.children, i, i+1)
		r.childEnds = slices.Delete(r.childEnds, i, i+1)
	}
	r.ops[cl.op]--
	cl.parent = nil
}

func (in *inference) link(cl *call, r *request, margin float64) {
	cl.parent, cl.margin, cl.conf = r, margin, confidence(margin)
	r.children = append(r.children, cl)
	r.childEnds = append(r.childEnds, cl.end)
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
		if _, ok := slices.BinarySearch(r.toks, t); ok {
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
	if in.api != nil {
		switch {
		case in.seen[r.op] == 0 && in.total[r.op] >= 3:
			sc -= wNeverCall // requests of this operation were never seen calling out
		case in.seen[r.op] >= 3:
			if per := in.api[[2]int{r.op, cl.op}]; per == 0 {
				sc -= wNeverCall
			} else if n := float64(r.ops[cl.op]); n >= math.Round(per) {
				sc -= wOverCap * (n - math.Round(per) + 1)
			}
		}
	}
	return sc - math.Log1p(float64(in.gap(cl, r))/1e3)
}

// adjacent weighs what the threads' timelines say about cl and r: r's
// read or response write right next to cl, or a neighbouring call of the
// same thread already linked to r.
func (in *inference) adjacent(cl *call, r *request) float64 {
	var sc float64
	if cl.first == r {
		sc += wAdjacent
	}
	if cl.last == r {
		sc += wAdjacent
	}
	if cl.after != nil && cl.after.parent == r {
		sc += wAdjacent
	}
	for _, n := range cl.next {
		if n.parent == r {
			sc += wAdjacent
		}
	}
	return sc
}

// gap is how long (ns) r had been idle when cl began: since it started, or
// since the last of its linked calls that ended before cl began.
func (in *inference) gap(cl *call, r *request) int64 {
	last := r.start
	for _, e := range r.childEnds {
		if e > last && e <= cl.start {
			last = e
		}
	}
	return max(cl.start-last, 0)
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
	in.api = map[[2]int]float64{}
	clear(in.seen)
	clear(in.total)
	for _, r := range in.reqs {
		in.total[r.op]++
		if len(r.children) == 0 {
			continue
		}
		in.seen[r.op]++
		for op, n := range r.ops {
			in.api[[2]int{r.op, op}] += float64(n)
		}
	}
	for k := range in.api {
		in.api[k] /= float64(in.seen[k[0]])
	}
}

func confidence(margin float64) float64 {
	if math.IsInf(margin, 1) {
		return 1
	}
	return 1 / (1 + math.Exp(-margin/4))
}
