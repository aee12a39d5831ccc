package notify

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// RateLimitedError says the receiver asked us to slow down; the activity
// should retry no sooner than RetryAfter (0 = unknown, use its own backoff).
type RateLimitedError struct {
	RetryAfter time.Duration
	Err        error
}

func (e *RateLimitedError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("rate limited, retry after %s", e.RetryAfter)
	}
	return fmt.Sprintf("rate limited, retry after %s: %v", e.RetryAfter, e.Err)
}

func (e *RateLimitedError) Unwrap() error { return e.Err }

// PermanentError wraps a failure that retrying cannot fix: a bad token, an
// unknown channel, a message the receiver rejects. The activity should give
// up (non-retryable) instead of burning its retry budget.
type PermanentError struct {
	Err error
}

func (e *PermanentError) Error() string {
	if e.Err == nil {
		return "permanent failure"
	}
	return "permanent failure: " + e.Err.Error()
}

func (e *PermanentError) Unwrap() error { return e.Err }

// IsPermanent reports whether err (or anything it wraps) is a PermanentError.
func IsPermanent(err error) bool {
	var pe *PermanentError
	return errors.As(err, &pe)
}

// AsRateLimited returns the RateLimitedError in err's chain, if any.
func AsRateLimited(err error) (*RateLimitedError, bool) {
	var rl *RateLimitedError
	ok := errors.As(err, &rl)
	return rl, ok
}

// RedactURL hides the path and query of rawURL inside err's message.
// Webhook URLs carry their secret in the path, and Go's HTTP errors quote the
// full URL; those messages end up in Temporal's history and in logs.
func RedactURL(err error, rawURL string) error {
	if err == nil || rawURL == "" {
		return err
	}
	msg := err.Error()
	if !strings.Contains(msg, rawURL) {
		return err
	}
	return &redactedError{msg: strings.ReplaceAll(msg, rawURL, RedactedURL(rawURL)), err: err}
}

// RedactedURL returns scheme://host/… for rawURL, enough to tell which
// endpoint failed without printing credentials.
func RedactedURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return "<invalid url>"
	}
	if u.Path == "" || u.Path == "/" {
		return u.Scheme + "://" + u.Host
	}
	return u.Scheme + "://" + u.Host + "/…"
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
