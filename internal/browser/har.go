package browser

import (
	"context"
	"math"
	"strconv"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

const (
	maxBodyText = 64 << 10
	bodyTimeout = 5 * time.Second
)

// harPage is one goto; the monotonic start is the document request's.
type harPage struct {
	id, url, title        string
	started               time.Time
	mono                  float64 // 0 until the document request is seen
	onContentLoad, onLoad float64 // ms after mono, -1 unknown
}

// harRec is one request (one hop of a redirect chain) as CDP reported it.
type harRec struct {
	id          network.RequestID
	page        string
	typ         network.ResourceType
	wall        time.Time
	start, end  float64 // monotonic seconds
	req         *network.Request
	resp        *network.Response
	encoded     float64 // bytes on the wire, from loadingFinished
	decoded     int64   // body bytes after decoding, from dataReceived
	body        []byte
	bodyFetched bool
	errText     string
	// wire headers of a redirect hop, taken before the next hop reuses the id
	wireReq, wireResp network.Headers
}

// harRecorder lives inside the collector and shares its mutex.
type harRecorder struct {
	pages   []*harPage
	recs    []*harRec
	open    map[network.RequestID]*harRec
	bodies  chan network.RequestID // loadingFinished ids whose body we keep
	pending int
	// Wire headers from the ExtraInfo events: only they carry Cookie and
	// Set-Cookie. They may arrive before or after the main events.
	extraReq, extraResp map[network.RequestID]network.Headers
}

func newHARRecorder() *harRecorder {
	return &harRecorder{
		open: map[network.RequestID]*harRec{}, bodies: make(chan network.RequestID, 512),
		extraReq: map[network.RequestID]network.Headers{}, extraResp: map[network.RequestID]network.Headers{},
	}
}

func (h *harRecorder) curPage() *harPage {
	if len(h.pages) == 0 {
		return nil
	}
	return h.pages[len(h.pages)-1]
}

func (h *harRecorder) record(ev any) {
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		if e.Request == nil {
			return
		}
		if prev := h.open[e.RequestID]; prev != nil && e.RedirectResponse != nil {
			prev.resp, prev.end = e.RedirectResponse, e.Timestamp.Float64()
			prev.wireReq, prev.wireResp = h.extraReq[e.RequestID], h.extraResp[e.RequestID]
			delete(h.extraReq, e.RequestID)
			delete(h.extraResp, e.RequestID)
		}
		r := &harRec{id: e.RequestID, typ: e.Type, req: e.Request, start: e.Timestamp.Float64(), wall: epoch(e.WallTime.Float64())}
		if p := h.curPage(); p != nil {
			r.page = p.id
			if p.mono == 0 && e.Type == network.ResourceTypeDocument {
				p.mono, p.started = r.start, r.wall
			}
		}
		h.open[e.RequestID] = r
		h.recs = append(h.recs, r)
	case *network.EventRequestWillBeSentExtraInfo:
		h.extraReq[e.RequestID] = e.Headers
	case *network.EventResponseReceivedExtraInfo:
		h.extraResp[e.RequestID] = e.Headers
	case *network.EventResponseReceived:
		if r := h.open[e.RequestID]; r != nil && e.Response != nil {
			r.resp = e.Response
		}
	case *network.EventDataReceived:
		if r := h.open[e.RequestID]; r != nil {
			r.decoded += e.DataLength
		}
	case *network.EventLoadingFinished:
		r := h.open[e.RequestID]
		if r == nil {
			return
		}
		r.end, r.encoded = e.Timestamp.Float64(), e.EncodedDataLength
		delete(h.open, e.RequestID)
		switch r.typ {
		case network.ResourceTypeDocument, network.ResourceTypeXHR, network.ResourceTypeFetch:
			select {
			case h.bodies <- e.RequestID:
				h.pending++
				h.open[e.RequestID] = r // kept until the body arrives
			default: // fetcher far behind: skip the body rather than block the read loop
			}
		}
	case *network.EventLoadingFailed:
		if r := h.open[e.RequestID]; r != nil {
			r.end, r.errText = e.Timestamp.Float64(), e.ErrorText
			if e.Canceled && r.errText == "" {
				r.errText = "canceled"
			}
			delete(h.open, e.RequestID)
		}
	case *page.EventDomContentEventFired:
		if p := h.curPage(); p != nil && p.mono > 0 && p.onContentLoad < 0 {
			p.onContentLoad = ms(e.Timestamp.Float64() - p.mono)
		}
	case *page.EventLoadEventFired:
		if p := h.curPage(); p != nil && p.mono > 0 && p.onLoad < 0 {
			p.onLoad = ms(e.Timestamp.Float64() - p.mono)
		}
	}
}

// startPage opens a HAR page for a goto; later requests belong to it.
func (c *collector) startPage(url string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.har
	id := "page_" + strconv.Itoa(len(h.pages)+1)
	h.pages = append(h.pages, &harPage{id: id, url: url, title: url, started: time.Now(), onContentLoad: -1, onLoad: -1})
}

func (c *collector) setPageTitle(t string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.har.curPage(); p != nil && t != "" {
		p.title = t
	}
}

// fetchBodies reads response bodies outside the event loop, which must not
// call the browser. It ends with the tab.
func (s *session) fetchBodies() {
	h := s.col.har
	for {
		select {
		case <-s.tab.Done():
			return
		case id := <-h.bodies:
			ctx, cancel := context.WithTimeout(s.tab, bodyTimeout)
			res, err := chromedp.Call(ctx, network.GetResponseBody, network.GetResponseBodyParams{RequestID: id})
			cancel()
			s.col.mu.Lock()
			if r := h.open[id]; r != nil {
				if err == nil {
					r.body, r.bodyFetched = res.Body, true
				}
				delete(h.open, id)
			}
			h.pending--
			s.col.mu.Unlock()
		}
	}
}

// waitBodies gives queued body reads a bounded time to finish before teardown.
func (s *session) waitBodies(d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		s.col.mu.Lock()
		n := s.col.har.pending
		s.col.mu.Unlock()
		if n == 0 || s.tab.Err() != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func epoch(sec float64) time.Time {
	if sec <= 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(sec*1e9))
}

// ms converts CDP seconds to HAR milliseconds, to the microsecond.
func ms(sec float64) float64 { return round3(sec * 1e3) }

func round3(v float64) float64 { return math.Round(v*1e3) / 1e3 }
