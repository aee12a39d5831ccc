package browser

import (
	"context"
	"time"

	"github.com/chromedp/chromedp"
)

const (
	maxDOM         = 2 << 20
	captureTimeout = 5 * time.Second
)

// atFailure keeps what explains a failure: the page as it was and a
// screenshot. Both are best effort; a dead browser yields neither.
func (s *session) atFailure(step int) {
	ctx, cancel := context.WithTimeout(s.tab, captureTimeout)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		s.res.Shots = append(s.res.Shots, Screenshot{Step: step, Name: "failure", PNG: png})
	} else {
		s.r.log.Warn("failure screenshot failed", "error", s.m.mask(err.Error()))
	}
	s.captureDOM()
	s.waitBodies(time.Second)
}

func (s *session) captureDOM() {
	ctx, cancel := context.WithTimeout(s.tab, captureTimeout)
	defer cancel()
	html, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement ? document.documentElement.outerHTML : ""`))
	if err != nil {
		s.r.log.Warn("DOM snapshot failed", "error", s.m.mask(err.Error()))
		return
	}
	html = maskHAR(s.m, html)
	if len(html) > maxDOM {
		html = capMasked(html, maxDOM, s.m)
	}
	s.res.DOM = html
}
