package inprocess

import (
	"sort"
	"time"

	"github.com/vigil-dev/vigil/internal/span"
)

// Thread adjacency. A runtime that moves requests between threads (Go's
// goroutines, async event loops) still runs a handler's code between two
// blocking points on one thread: the thread that read a request writes its
// first call, the thread that read a call's response writes the next call
// (or the response). So on each thread's timeline of captured syscalls,
// what came just before a call's first write tells its cause:
//   - a request's first read: that request made the call;
//   - another call's response read: the same request continued;
// and a response's last write just after a call's response read makes
// that call the request's last.

// maxAdjacent bounds the idle time between two adjacent events: longer,
// and the thread more likely ran code that made no captured syscall.
const maxAdjacent = 5 * time.Millisecond

type eventKind uint8

const (
	reqStart eventKind = iota
	reqEnd
	callStart
	callEnd
)

type event struct {
	at   time.Time
	kind eventKind
	s    *span.Span
}

// adjacency is what the threads' timelines say.
type adjacency struct {
	first map[*span.Span]*span.Span // call -> request whose read it followed
	last  map[*span.Span]*span.Span // call -> request whose response write followed it
	after map[*span.Span]*span.Span // call -> earlier call it continued (response read, then this write)
}

func threadAdjacency(g *group) adjacency {
	byThread := map[int][]event{}
	add := func(tid int, at time.Time, k eventKind, s *span.Span) {
		if tid != 0 {
			byThread[tid] = append(byThread[tid], event{at, k, s})
		}
	}
	for _, s := range g.servers {
		add(threadOf(s), s.Timestamp, reqStart, s)
		add(s.Vigil.EndThread, s.End(), reqEnd, s)
	}
	for _, list := range [][]*span.Span{g.clients, g.linked} {
		for _, c := range list {
			add(threadOf(c), c.Timestamp, callStart, c)
			add(c.Vigil.EndThread, c.End(), callEnd, c)
		}
	}
	a := adjacency{first: map[*span.Span]*span.Span{}, last: map[*span.Span]*span.Span{},
		after: map[*span.Span]*span.Span{}}
	for _, evs := range byThread {
		sort.SliceStable(evs, func(i, j int) bool { return evs[i].at.Before(evs[j].at) })
		for i := 1; i < len(evs); i++ {
			prev, cur := evs[i-1], evs[i]
			if cur.at.Sub(prev.at) > maxAdjacent {
				continue
			}
			switch {
			case cur.kind == callStart && prev.kind == reqStart:
				a.first[cur.s] = prev.s
			case cur.kind == callStart && prev.kind == callEnd:
				a.after[cur.s] = prev.s
			case cur.kind == reqEnd && prev.kind == callEnd:
				a.last[prev.s] = cur.s
			}
		}
	}
	return a
}
