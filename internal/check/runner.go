// Package check runs one monitor once: it makes the requests, measures them,
// evaluates the assertions and returns the result document. It knows
// nothing of Temporal or the store; the caller adds ids and observer fields.
package check

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/vigil-dev/vigil/internal/browser"
	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/secrets"
)

const (
	// DefaultBodyLimit is how much of a response body a result keeps.
	DefaultBodyLimit = 64 << 10
	// bodyCap is how much of a body is held in memory for assertions; the
	// rest is only counted.
	bodyCap    = 10 << 20
	resolvConf = "/etc/resolv.conf"
)

// Options configure a Runner.
type Options struct {
	// Secrets resolves ${secrets.NAME}; nil means no secrets are available.
	Secrets secrets.Source
	// BodyLimit is how many bytes of a response body the result keeps
	// (default 64 KiB).
	BodyLimit int
	// Hostname names this worker to the targets, in the User-Agent.
	Hostname string
	Logger   *slog.Logger
	// ChromiumPath runs browser journeys (default: /usr/bin/chromium or
	// chromium on PATH).
	ChromiumPath string
	// BrowserLimits fixes each browser's CPU and memory (own cgroup).
	BrowserLimits browser.Limits
	// Attachments stores screenshots and the other files of browser runs;
	// nil keeps none.
	Attachments AttachmentWriter
	// Redact filters each result before it leaves the runner (to Temporal's
	// history and the store): redact.Redactor.Result.
	Redact func(*result.Result)
}

// AttachmentWriter stores one file of a run (attach.Store is one).
type AttachmentWriter interface {
	Put(ctx context.Context, key, contentType string, data []byte) error
}

// Runner runs checks. It is safe for concurrent use; it caches compiled
// expressions across runs but shares no connections between them.
type Runner struct {
	opts       Options
	log        *slog.Logger
	userAgent  string
	resolvConf string
	programs   programs
}

// NewRunner returns a Runner with defaults filled in.
func NewRunner(opts Options) *Runner {
	if opts.BodyLimit <= 0 {
		opts.BodyLimit = DefaultBodyLimit
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	ua := "vigil"
	if opts.Hostname != "" {
		ua += " (" + opts.Hostname + ")"
	}
	return &Runner{
		opts:       opts,
		log:        log.With("component", "check"),
		userAgent:  ua,
		resolvConf: resolvConf,
	}
}

// Run checks m once. A target that is down, a failed assertion or a
// definition that cannot run (a missing secret) is a down result, not an
// error. The error is only for runs cut short by ctx (worker shutdown,
// activity timeout), which are worth retrying.
func (r *Runner) Run(ctx context.Context, m monitor.Monitor) (result.Result, error) {
	start := time.Now()
	timeout := m.TimeoutOrDefault()
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	rn := &run{r: r, ctx: runCtx, parent: ctx, timeout: timeout, masker: secrets.NewMasker(), propagate: propagates(m)}
	steps, runErr := rn.dispatch(m)
	finish := time.Now()

	if ctx.Err() != nil && (runErr != nil || anyDown(steps)) {
		r.log.Warn("check interrupted", "monitor", m.ID, "err", context.Cause(ctx))
		return result.Result{}, fmt.Errorf("check %s interrupted: %w", m.ID, context.Cause(ctx))
	}
	if rn.infra != nil { // the browser failed, not the target: worth retrying
		r.log.Warn("browser failed", "monitor", m.ID, "err", rn.masker.Mask(rn.infra.Error()))
		return result.Result{}, fmt.Errorf("check %s: %s", m.ID, rn.masker.Mask(rn.infra.Error()))
	}
	res := build(m, start, finish, steps, runErr, m.Type == monitor.TypeHTTP || m.Type == monitor.TypeBrowser)
	res.Browser = rn.browser
	res.Vigil.Traces = rn.traces
	if len(rn.traces) > 0 {
		res.Trace = &result.Trace{ID: rn.traces[0].ID}
	}
	maskResult(&res, rn.masker)
	if r.opts.Redact != nil {
		r.opts.Redact(&res)
	}
	r.log.Debug("check finished", "monitor", m.ID, "status", res.Monitor.Status,
		"duration", finish.Sub(start), "steps", len(steps))
	return res, nil
}

// dispatch runs the steps of m's type. runErr is a failure outside any
// step (nothing to run).
func (rn *run) dispatch(m monitor.Monitor) (steps []result.Step, runErr *result.Error) {
	switch m.Type {
	case monitor.TypeHTTP:
		return rn.httpJourney(m)
	case monitor.TypeTCP:
		return rn.tcpCheck(m)
	case monitor.TypeDNS:
		return rn.dnsCheck(m)
	case monitor.TypeTLS:
		return rn.tlsCheck(m)
	case monitor.TypeBrowser:
		return rn.browserJourney(m)
	}
	return nil, configError(fmt.Sprintf("monitor type %q is not run by the check runner", m.Type))
}

func anyDown(steps []result.Step) bool {
	for _, s := range steps {
		if s.Synthetics.Step.Status != result.StatusUp {
			return true
		}
	}
	return false
}

func configError(msg string) *result.Error {
	return &result.Error{Type: result.ErrorConfig, Message: msg}
}

// build assembles the result document from the steps. For journeys the
// top-level error names the failing step.
func build(m monitor.Monitor, start, finish time.Time, steps []result.Step, runErr *result.Error, journey bool) result.Result {
	res := result.Result{
		Timestamp: start.UTC(),
		Monitor: result.Monitor{
			ID:       m.ID,
			Name:     m.DisplayName(),
			Type:     m.Type,
			Duration: micros(finish.Sub(start)),
			Timespan: timespan(m, start, finish),
		},
		Tags:  m.Tags,
		Steps: steps,
		Vigil: result.Vigil{StartedAt: start.UTC(), FinishedAt: finish.UTC()},
	}
	if res.Steps == nil {
		res.Steps = []result.Step{}
	}
	for _, s := range steps {
		if s.Synthetics.Step.Status == result.StatusUp {
			res.Summary.Up++
			continue
		}
		res.Summary.Down++
		if res.Error == nil && s.Error != nil {
			e := *s.Error
			if journey {
				e.Message = fmt.Sprintf("step %d %q: %s", s.Synthetics.Step.Index, s.Synthetics.Step.Name, e.Message)
			}
			res.Error = &e
		}
	}
	if len(steps) > 0 && steps[0].URL != nil {
		u := *steps[0].URL
		res.URL = &u
	}
	if runErr != nil && res.Error == nil {
		res.Error = runErr
	}
	res.Monitor.Status = result.StatusUp
	if res.Error != nil || res.Summary.Down > 0 || len(steps) == 0 {
		res.Monitor.Status = result.StatusDown
	}
	return res
}

// timespan follows Synthetics: the period this result speaks for, until
// the next scheduled run. Cron schedules are not parsed here, so they span
// the run itself.
func timespan(m monitor.Monitor, start, finish time.Time) result.Timespan {
	end := finish
	if every := time.Duration(m.Schedule.Every); every > 0 {
		end = start.Add(every)
	}
	return result.Timespan{GTE: start.UTC(), LT: end.UTC()}
}

func micros(d time.Duration) result.Micros { return result.Micros{US: d.Microseconds()} }

// run is the state of one Run: its deadline and the secrets it resolved.
type run struct {
	r       *Runner
	ctx     context.Context // the run, with the monitor timeout
	parent  context.Context // the caller's
	timeout time.Duration
	masker  *secrets.Masker
	infra   error           // a browser that could not start or crashed
	browser *result.Browser // what a browser journey measured
	// propagate sends a traceparent with the requests; traces are the W3C
	// traces they started, one per step.
	propagate bool
	traces    []result.RunTrace
}

func newTraceID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// timedOut reports whether the monitor timeout (not the caller) ended the
// run. The deadline is compared too: a socket deadline can fire a moment
// before the context notices.
func (rn *run) timedOut() bool {
	if rn.parent.Err() != nil {
		return false
	}
	if errors.Is(rn.ctx.Err(), context.DeadlineExceeded) {
		return true
	}
	d, ok := rn.ctx.Deadline()
	return ok && !time.Now().Before(d)
}

// ioError describes a network failure, or the timeout that caused it.
func (rn *run) ioError(what string, err error) *result.Error {
	if rn.timedOut() {
		return &result.Error{Type: result.ErrorIO, Message: fmt.Sprintf("%s: timed out after %s (monitor timeout)", what, rn.timeout)}
	}
	return &result.Error{Type: result.ErrorIO, Message: fmt.Sprintf("%s: %v", what, err)}
}

// expand resolves references in s, registering secrets with the run's masker.
func (rn *run) expand(s string, vars map[string]string) (string, error) {
	return secrets.Expand(s, vars, rn.r.opts.Secrets, rn.masker)
}
