// Package webhook delivers incident events as signed JSON POSTs to any HTTP
// receiver, retrying transient failures itself so one activity attempt
// usually suffices.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/internal/notify"
)

// Defaults applied by New for zero Config fields.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultMaxAttempts = 3
	maxMaxAttempts     = 10
)

// Config configures a webhook receiver.
type Config struct {
	URL string
	// Secret, when set, signs every delivery (X-Vigil-Signature).
	Secret string
	// Timeout bounds each attempt; default 10s.
	Timeout time.Duration
	// MaxAttempts bounds attempts per Send, first one included; default 3.
	MaxAttempts int
	// Headers are extra request headers, e.g. an Authorization for the receiver.
	Headers map[string]string
}

// reserved headers are ours: letting Headers override them would break
// signing or duplicate detection.
var reserved = []string{"Content-Type", "User-Agent", HeaderDelivery, HeaderTimestamp, HeaderSignature, "Content-Length", "Host"}

// Validate says exactly what is wrong with c, if anything.
func (c Config) Validate() error {
	if c.URL == "" {
		return errors.New("webhook: url is required")
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		return fmt.Errorf("webhook: url does not parse: %w", notify.RedactURL(err, c.URL))
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return fmt.Errorf("webhook: url scheme must be http or https, got %q", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("webhook: url has no host")
	}
	if c.Timeout < 0 {
		return fmt.Errorf("webhook: timeout must not be negative, got %s", c.Timeout)
	}
	if c.MaxAttempts < 0 || c.MaxAttempts > maxMaxAttempts {
		return fmt.Errorf("webhook: max_attempts must be between 1 and %d (0 = default %d), got %d", maxMaxAttempts, DefaultMaxAttempts, c.MaxAttempts)
	}
	for name, value := range c.Headers {
		if !validHeaderName(name) {
			return fmt.Errorf("webhook: header name %q is not a valid HTTP token", name)
		}
		for _, r := range reserved {
			if strings.EqualFold(name, r) {
				return fmt.Errorf("webhook: header %q is set by vigil and cannot be overridden", name)
			}
		}
		if strings.ContainsAny(value, "\r\n\x00") {
			return fmt.Errorf("webhook: header %q value contains a control character", name)
		}
	}
	return nil
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r >= 0x7f || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

// Notifier sends events to one webhook receiver.
type Notifier struct {
	cfg        Config
	client     *http.Client
	now        func() time.Time
	backoff    time.Duration // first retry delay; doubles per attempt
	maxBackoff time.Duration
	// maxRetryAfter is the longest Retry-After we sleep through ourselves;
	// longer ones go back to the activity as RateLimitedError.
	maxRetryAfter time.Duration
	sleep         func(ctx context.Context, d time.Duration) error
}

// Option customises a Notifier.
type Option func(*Notifier)

// WithHTTPClient replaces the HTTP client (its Timeout is overridden by
// Config.Timeout only if it has none).
func WithHTTPClient(c *http.Client) Option { return func(n *Notifier) { n.client = c } }

// WithBackoff sets the first retry delay and the cap; jitter is added on top.
func WithBackoff(initial, maxDelay time.Duration) Option {
	return func(n *Notifier) { n.backoff, n.maxBackoff = initial, maxDelay }
}

// WithMaxRetryAfter sets the longest Retry-After Send waits out itself.
func WithMaxRetryAfter(d time.Duration) Option { return func(n *Notifier) { n.maxRetryAfter = d } }

// WithClock sets the clock used for X-Vigil-Timestamp and HTTP-date Retry-After.
func WithClock(now func() time.Time) Option { return func(n *Notifier) { n.now = now } }

// New validates cfg and returns a Notifier.
func New(cfg Config, opts ...Option) (*Notifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	n := &Notifier{
		cfg:           cfg,
		now:           time.Now,
		backoff:       500 * time.Millisecond,
		maxBackoff:    10 * time.Second,
		maxRetryAfter: 30 * time.Second,
		sleep:         sleepCtx,
	}
	for _, o := range opts {
		o(n)
	}
	if n.client == nil {
		n.client = &http.Client{}
	}
	if n.client.Timeout == 0 {
		c := *n.client
		c.Timeout = cfg.Timeout
		n.client = &c
	}
	return n, nil
}

var _ notify.Notifier = (*Notifier)(nil)

// Send POSTs ev and returns an empty Ref: a webhook cannot address messages.
// Network errors, timeouts, 408, 425, 429 and 5xx are retried with
// exponential backoff and jitter up to MaxAttempts within ctx; other 4xx
// are a *notify.PermanentError; a 429 that outlasts the attempts (or asks
// for a longer wait than we sleep through) is a *notify.RateLimitedError.
func (n *Notifier) Send(ctx context.Context, ev notify.Event) (notify.Ref, error) {
	body, err := json.Marshal(NewPayload(ev))
	if err != nil {
		return notify.Ref{}, &notify.PermanentError{Err: fmt.Errorf("webhook: encode %s event: %w", ev.Kind, err)}
	}
	delivery := notify.DeliveryID(ev)
	target := notify.RedactedURL(n.cfg.URL)

	var (
		lastErr error
		last    result
	)
	for attempt := 1; attempt <= n.cfg.MaxAttempts; attempt++ {
		res := n.attempt(ctx, body, delivery)
		last = res
		if res.err == nil {
			return notify.Ref{}, nil
		}
		lastErr = fmt.Errorf("webhook: POST %s event to %s (attempt %d of %d): %w", ev.Kind, target, attempt, n.cfg.MaxAttempts, res.err)
		if !res.retryable {
			return notify.Ref{}, &notify.PermanentError{Err: lastErr}
		}
		if ctx.Err() != nil {
			return notify.Ref{}, lastErr
		}
		if attempt == n.cfg.MaxAttempts {
			break
		}
		wait := n.delay(attempt)
		if res.rateLimited {
			if res.retryAfter > n.maxRetryAfter || exceedsDeadline(ctx, res.retryAfter) {
				return notify.Ref{}, &notify.RateLimitedError{RetryAfter: res.retryAfter, Err: lastErr}
			}
			wait = max(res.retryAfter, wait)
		}
		if exceedsDeadline(ctx, wait) {
			break
		}
		if err := n.sleep(ctx, wait); err != nil {
			return notify.Ref{}, fmt.Errorf("%w (gave up waiting to retry: %w)", lastErr, err)
		}
	}
	if last.rateLimited {
		// Hand the receiver's wish to the activity rather than let it
		// retry at its own pace.
		return notify.Ref{}, &notify.RateLimitedError{RetryAfter: last.retryAfter, Err: lastErr}
	}
	return notify.Ref{}, lastErr
}

type result struct {
	err         error
	retryable   bool
	rateLimited bool
	retryAfter  time.Duration
}

func (n *Notifier) attempt(ctx context.Context, body []byte, delivery string) result {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return result{err: notify.RedactURL(err, n.cfg.URL)}
	}
	for k, v := range n.cfg.Headers {
		req.Header.Set(k, v)
	}
	ts := strconv.FormatInt(n.now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "vigil")
	req.Header.Set(HeaderDelivery, delivery)
	req.Header.Set(HeaderTimestamp, ts)
	if n.cfg.Secret != "" {
		req.Header.Set(HeaderSignature, Sign(n.cfg.Secret, ts, body))
	}
	resp, err := n.client.Do(req)
	if err != nil {
		// Connection failures and timeouts: the receiver may be back soon.
		return result{err: notify.RedactURL(err, n.cfg.URL), retryable: true}
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // let the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return result{}
	}
	err = &statusError{code: resp.StatusCode, body: strings.TrimSpace(string(snippet))}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		ra := parseRetryAfter(resp.Header.Get("Retry-After"), n.now())
		return result{err: err, retryable: true, rateLimited: true, retryAfter: ra}
	case resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode == http.StatusTooEarly, resp.StatusCode >= 500:
		return result{err: err, retryable: true}
	default:
		return result{err: err}
	}
}

type statusError struct {
	code int
	body string
}

func (e *statusError) Error() string {
	s := fmt.Sprintf("receiver answered %d %s", e.code, http.StatusText(e.code))
	if e.body != "" {
		s += ": " + strconvQuoteShort(e.body)
	}
	return s
}

func strconvQuoteShort(s string) string {
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return strconv.Quote(s)
}

// delay is exponential backoff with "equal jitter": half fixed, half random,
// so retries from many workers spread out but never collapse to zero.
func (n *Notifier) delay(attempt int) time.Duration {
	d := n.backoff << (attempt - 1)
	if d > n.maxBackoff || d <= 0 {
		d = n.maxBackoff
	}
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}

// parseRetryAfter accepts delta-seconds or an HTTP date (RFC 9110 10.2.3).
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d.Round(time.Second)
		}
	}
	return 0
}

func exceedsDeadline(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return ok && time.Until(dl) < d
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
