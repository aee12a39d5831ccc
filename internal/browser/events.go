package browser

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
)

// collector gathers page events. Its listener runs in chromedp's read loop,
// so it only records under a mutex and never calls the browser.
type collector struct {
	mu        sync.Mutex
	console   []ConsoleEntry
	failed    []FailedRequest
	urls      map[network.RequestID]string
	hosts     map[string]bool
	inflight  map[network.RequestID]bool
	lastNet   time.Time
	firstHost string
	har       *harRecorder
}

func newCollector() *collector {
	return &collector{
		urls:     map[network.RequestID]string{},
		hosts:    map[string]bool{},
		inflight: map[network.RequestID]bool{},
		lastNet:  time.Now(),
		har:      newHARRecorder(),
	}
}

func (c *collector) listen(ev any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.har.record(ev)
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if e.Type != runtime.ConsoleAPICalledTypeWarning && e.Type != runtime.ConsoleAPICalledTypeError {
			return
		}
		ce := ConsoleEntry{Level: string(e.Type), Text: argsText(e.Args)}
		if e.StackTrace != nil && len(e.StackTrace.CallFrames) > 0 {
			f := e.StackTrace.CallFrames[0]
			ce.URL, ce.Line, ce.Column = f.URL, f.LineNumber+1, f.ColumnNumber+1
		}
		c.console = append(c.console, ce)
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		if d == nil {
			return
		}
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		c.console = append(c.console, ConsoleEntry{
			Level: "exception", Text: text, URL: d.URL,
			Line: d.LineNumber + 1, Column: d.ColumnNumber + 1,
		})
	case *network.EventRequestWillBeSent:
		if e.Request == nil {
			return
		}
		c.urls[e.RequestID] = e.Request.URL
		c.inflight[e.RequestID] = true
		c.lastNet = time.Now()
		if u, err := url.Parse(e.Request.URL); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
			c.hosts[u.Hostname()] = true
		}
	case *network.EventResponseReceived:
		if r := e.Response; r != nil && r.Status >= 400 {
			c.failed = append(c.failed, FailedRequest{URL: r.URL, Status: r.Status, Reason: r.StatusText, Type: string(e.Type)})
		}
	case *network.EventLoadingFinished:
		delete(c.inflight, e.RequestID)
		c.lastNet = time.Now()
	case *network.EventLoadingFailed:
		delete(c.inflight, e.RequestID)
		c.lastNet = time.Now()
		c.failed = append(c.failed, FailedRequest{URL: c.urls[e.RequestID], Reason: e.ErrorText, Type: string(e.Type)})
	}
}

// idleFor reports whether no request has been in flight for d.
func (c *collector) idleFor(d time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.inflight) == 0 && time.Since(c.lastNet) >= d
}

func (c *collector) setFirstHost(h string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.firstHost == "" {
		c.firstHost = h
	}
}

// fill copies what was collected into res, masking secrets.
func (c *collector) fill(res *Result, m masker) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.console {
		e.Text, e.URL = m.mask(e.Text), m.mask(e.URL)
		res.Console = append(res.Console, e)
	}
	for _, f := range c.failed {
		f.URL, f.Reason = m.mask(f.URL), m.mask(f.Reason)
		res.Failed = append(res.Failed, f)
	}
	for h := range c.hosts {
		if c.firstHost != "" && h != c.firstHost {
			res.ThirdParty = append(res.ThirdParty, h)
		}
	}
	slices.Sort(res.ThirdParty)
	if b, err := buildHAR(c.har, m); err == nil {
		res.HAR = b
	}
}

func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		switch {
		case a == nil:
		case len(a.Value) > 0:
			var s string
			if json.Unmarshal(a.Value, &s) != nil {
				s = string(a.Value) // numbers, booleans
			}
			parts = append(parts, s)
		case a.Description != "":
			parts = append(parts, a.Description)
		default:
			parts = append(parts, fmt.Sprint(a.Type))
		}
	}
	return strings.Join(parts, " ")
}
