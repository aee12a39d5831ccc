package activities

import (
	"sync"
	"time"
)

// resignalEvery is how often an unchanged state is sent again anyway: the
// incident's evidence stays fresh, and a worker that lost a signal (or
// another worker that sent it) is caught up.
const resignalEvery = 5 * time.Minute

// signalMemory remembers, on this worker, the last state signalled to each
// group's incident, so that evaluations signal changes, not every state.
// A worker that holds nothing for a group signals it: never fewer signals
// than needed, only fewer than every evaluation.
type signalMemory struct {
	mu   sync.Mutex
	last map[string]sentSignal
}

type sentSignal struct {
	firing bool
	at     time.Time
}

func (m *signalMemory) unchanged(key string, firing bool, now time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.last[key]
	return ok && s.firing == firing && now.Sub(s.at) < resignalEvery
}

func (m *signalMemory) record(key string, firing bool, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.last == nil {
		m.last = map[string]sentSignal{}
	}
	if len(m.last) > 100_000 { // groups come and go: start over rather than grow
		clear(m.last)
	}
	m.last[key] = sentSignal{firing: firing, at: now}
}
