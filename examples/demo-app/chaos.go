package demoapp

import (
	"net/http"
	"time"
)

// slow sleeps SlowDelay with probability SlowProbability. The sleep ends
// early when the client goes away or the server shuts down.
func (a *app) slow(w http.ResponseWriter, r *http.Request) {
	var delay time.Duration
	if a.opts.Rand() < a.opts.SlowProbability {
		delay = a.opts.SlowDelay
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			a.log.Debug("slow request abandoned", "error", r.Context().Err())
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"slow": delay > 0, "delay_ms": delay.Milliseconds()})
}

// flaky answers 503 with probability FailProbability.
func (a *app) flaky(w http.ResponseWriter, _ *http.Request) {
	if a.opts.Rand() < a.opts.FailProbability {
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "flaky endpoint failed on purpose")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
