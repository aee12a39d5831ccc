package browser

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Propagation adds a W3C traceparent to the page's requests through the
// CDP Fetch domain, so backend spans of the requests join the run's traces
// without any change to the application. Each step starts a new trace;
// every request gets a fresh parent span id.
type Propagation struct {
	// Origins (scheme://host[:port]) whose requests get a traceparent, on
	// top of the origins the journey's goto steps open; "*" is every
	// origin. Other origins get none: it would leak the run's ids to third
	// parties, and cross-origin it can fail a CORS preflight.
	Origins []string
}

// continueTimeout bounds one Fetch.continueRequest: past it the request is
// the browser's problem, not a reason to hold the step.
const continueTimeout = 5 * time.Second

// propagator is the state of propagation for one Run. Its listener runs
// in chromedp's read loop, so each paused request is continued from its
// own goroutine.
type propagator struct {
	tab    context.Context
	log    *slog.Logger
	cur    atomic.Pointer[stepTrace]
	mu     sync.Mutex
	traces []*stepTrace
	failed string // first continueRequest failure, for the result
	// sent is when the page sent each request (requestWillBeSent's wall
	// time): a request a click sent is paused after the click step ended.
	sent    map[network.RequestID]time.Time
	waiting map[network.RequestID]chan struct{}
}

// stepTrace is the trace of one step and how many requests carried it.
type stepTrace struct {
	id        string
	step      int
	navigates bool // a goto
	begin     time.Time
	requests  atomic.Int64
}

// originsOf are the origins that get a traceparent: the goto steps' and
// the configured ones, "*" meaning all.
func originsOf(j Journey) []string {
	seen := map[string]bool{}
	var out []string
	add := func(o string) {
		if o != "" && !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	for _, st := range j.Steps {
		if st.Action != ActionGoto {
			continue
		}
		add(origin(st.URL))
	}
	for _, o := range j.Propagation.Origins {
		if o == "*" {
			add(o)
			continue
		}
		add(origin(o))
	}
	return out
}

// origin is scheme://host[:port] as the browser writes request URLs: host
// in lower case, no default port. "" when raw is no http(s) URL.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return ""
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" && !(u.Scheme == "http" && port == "80") && !(u.Scheme == "https" && port == "443") {
		host += ":" + port
	}
	return u.Scheme + "://" + host
}

// patterns are the Fetch patterns of the origins: requests elsewhere are
// never paused, so they cost nothing.
func patterns(origins []string) []*fetch.RequestPattern {
	var ps []*fetch.RequestPattern
	for _, o := range origins {
		if o == "*" {
			return []*fetch.RequestPattern{{URLPattern: "http://*"}, {URLPattern: "https://*"}}
		}
		ps = append(ps, &fetch.RequestPattern{URLPattern: o + "/*"})
	}
	return ps
}

// startPropagation enables interception on the tab. It fails only when
// Fetch.enable does; the run then goes on without propagation.
func (s *session) startPropagation() error {
	if s.j.Propagation == nil {
		return nil
	}
	origins := originsOf(s.j)
	if len(origins) == 0 {
		return nil
	}
	p := &propagator{tab: s.tab, log: s.r.log, sent: map[network.RequestID]time.Time{},
		waiting: map[network.RequestID]chan struct{}{}}
	if err := chromedp.Listen(s.tab, p.listen); err != nil {
		return fmt.Errorf("listening for paused requests: %w", err)
	}
	if _, err := chromedp.Call(s.tab, fetch.Enable, fetch.EnableParams{Patterns: patterns(origins)}); err != nil {
		return fmt.Errorf("enabling request interception: %w", err)
	}
	s.prop = p
	return nil
}

// beginStep gives the requests sent from now on (until the next step
// begins) the trace of step i.
func (p *propagator) beginStep(i int, action string) {
	if p == nil {
		return
	}
	t := &stepTrace{id: newTraceID(), step: i, navigates: action == ActionGoto, begin: time.Now()}
	p.mu.Lock()
	p.traces = append(p.traces, t)
	p.mu.Unlock()
	p.cur.Store(t)
}

// fill lists the traces that requests carried, and why some could not.
func (p *propagator) fill(res *Result) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range p.traces {
		if n := t.requests.Load(); n > 0 {
			res.Traces = append(res.Traces, StepTrace{TraceID: t.id, Step: t.step, Requests: int(n)})
		}
	}
	if p.failed != "" {
		res.PropagationError = "some requests went without traceparent: " + p.failed
	}
}

func (p *propagator) listen(ev any) {
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		if at := epoch(e.WallTime.Float64()); !at.IsZero() {
			p.mu.Lock()
			p.sent[e.RequestID] = at
			if w := p.waiting[e.RequestID]; w != nil {
				close(w)
				delete(p.waiting, e.RequestID)
			}
			p.mu.Unlock()
		}
	case *fetch.EventRequestPaused:
		go p.continueRequest(e)
	}
}

// settle is how long after a step began a paused request may still be the
// previous step's: the browser reports a request a click sent (pausing it)
// a moment after the click returned, and its requestWillBeSent, which says
// when it was sent, another moment later.
const settle = 100 * time.Millisecond

// traceOf is the trace of the step during which the page sent the request.
// Only a request paused just after a step began waits (up to 20 ms) to
// learn when it was sent.
func (p *propagator) traceOf(e *fetch.EventRequestPaused) *stepTrace {
	cur := p.cur.Load()
	if cur == nil || cur.navigates || time.Since(cur.begin) > settle {
		// A goto's navigation aborts what the previous page still had in
		// flight: what follows it is its own.
		return cur
	}
	p.mu.Lock()
	at, ok := p.sent[e.NetworkID]
	var w chan struct{}
	if !ok {
		if w = p.waiting[e.NetworkID]; w == nil {
			w = make(chan struct{})
			p.waiting[e.NetworkID] = w
		}
	}
	p.mu.Unlock()
	if !ok {
		select {
		case <-w:
		case <-time.After(20 * time.Millisecond):
			p.mu.Lock()
			delete(p.waiting, e.NetworkID)
			p.mu.Unlock()
		}
		p.mu.Lock()
		at, ok = p.sent[e.NetworkID]
		p.mu.Unlock()
	}
	if !ok {
		return cur
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.traces) - 1; i >= 0; i-- {
		if !at.Before(p.traces[i].begin) {
			return p.traces[i]
		}
	}
	return cur
}

// continueRequest sends the request on with a traceparent, keeping one the
// page set itself (its own tracing wins). If the browser refuses the
// headers, the request goes on unchanged: propagation must never hold a
// request.
func (p *propagator) continueRequest(e *fetch.EventRequestPaused) {
	t := p.traceOf(e)
	var headers []*fetch.HeaderEntry
	if t != nil {
		var own bool
		if headers, own = withTraceparent(e.Request, t.id); own {
			headers = nil // sent unchanged
		}
	}
	err := p.continueWith(e.RequestID, headers)
	switch {
	case err == nil:
		if headers != nil {
			t.requests.Add(1)
		}
		return
	case p.tab.Err() != nil:
		return // the browser is going away: nothing waits for this request
	case headers == nil:
		p.log.Warn("continuing a paused request failed", "url", e.Request.URL, "error", err)
		return
	}
	p.noteFailure(err)
	if err := p.continueWith(e.RequestID, nil); err != nil && p.tab.Err() == nil {
		p.log.Warn("continuing a paused request failed", "url", e.Request.URL, "error", err)
	}
}

// continueWith sends the paused request on, with headers when set.
func (p *propagator) continueWith(id fetch.RequestID, headers []*fetch.HeaderEntry) error {
	ctx, cancel := context.WithTimeout(p.tab, continueTimeout)
	defer cancel()
	_, err := chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: id, Headers: headers})
	return err
}

func (p *propagator) noteFailure(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failed == "" {
		p.failed = err.Error()
		p.log.Warn("adding traceparent to a request failed; it went on without", "error", err)
	}
}

// withTraceparent returns the request's headers plus a traceparent of
// trace with a fresh span id; own is true when the page set one itself.
func withTraceparent(r *network.Request, trace string) (h []*fetch.HeaderEntry, own bool) {
	if r == nil {
		return nil, true
	}
	for k, v := range r.Headers {
		if strings.EqualFold(k, "traceparent") {
			own = true
		}
		h = append(h, &fetch.HeaderEntry{Name: k, Value: fmt.Sprint(v)})
	}
	if !own {
		h = append(h, &fetch.HeaderEntry{Name: "traceparent", Value: makeTraceparent(trace)})
	}
	return h, own
}

// makeTraceparent makes the header; tests make it one the browser refuses.
var makeTraceparent = Traceparent

// Traceparent is a W3C traceparent of trace with a fresh parent span id,
// sampled.
func Traceparent(trace string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "00-" + trace + "-" + hex.EncodeToString(b[:]) + "-01"
}

func newTraceID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
