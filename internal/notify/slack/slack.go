// Package slack posts incident events to Slack: one message per incident,
// updated in place as it is acknowledged and resolved, with reminders and
// the resolution as thread replies. With an incoming webhook (which cannot
// edit or thread) every event is a new message.
package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/vigil-dev/vigil/internal/notify"
)

// DefaultHTTPTimeout bounds each call to Slack when Config.HTTPTimeout is 0.
const DefaultHTTPTimeout = 10 * time.Second

// Config selects a bot/user token and a channel, or an incoming webhook.
type Config struct {
	Token      string // xoxb- (bot) or xoxp- (user) token
	Channel    string // channel id (C0123…) or name (#alerts)
	WebhookURL string // https://hooks.slack.com/services/…
	// APIURL is the Web API base, default https://slack.com/api/; tests
	// point it (and WebhookURL) at slacktest.
	APIURL      string
	HTTPTimeout time.Duration
}

var (
	channelID   = regexp.MustCompile(`^[CGD][A-Z0-9]{6,}$`)
	channelName = regexp.MustCompile(`^#?[a-z0-9][a-z0-9._-]{0,79}$`)
)

// Validate says exactly what is wrong with c. It never echoes the token or
// the webhook path, which are secrets.
func (c Config) Validate() error {
	hasToken, hasWebhook := c.Token != "" || c.Channel != "", c.WebhookURL != ""
	switch {
	case hasToken && hasWebhook:
		return errors.New("slack: set either token and channel, or webhook_url, not both")
	case !hasToken && !hasWebhook:
		return errors.New("slack: set token and channel (Web API), or webhook_url (incoming webhook)")
	}
	if c.HTTPTimeout < 0 {
		return fmt.Errorf("slack: http_timeout must not be negative, got %s", c.HTTPTimeout)
	}
	if c.APIURL != "" {
		u, err := url.Parse(c.APIURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("slack: api_url %q must be an absolute http(s) URL", c.APIURL)
		}
	}
	if hasWebhook {
		return c.validateWebhook()
	}
	switch {
	case c.Token == "":
		return errors.New("slack: token is required with channel")
	case !strings.HasPrefix(c.Token, "xoxb-") && !strings.HasPrefix(c.Token, "xoxp-"):
		kind, _, _ := strings.Cut(c.Token, "-")
		if len(kind) > 5 {
			kind = kind[:5] + "…"
		}
		return fmt.Errorf("slack: token must be a bot (xoxb-) or user (xoxp-) token; this one starts with %q", kind)
	case strings.ContainsAny(c.Token, " \t\r\n"):
		return errors.New("slack: token contains whitespace (copied with a newline?)")
	case c.Channel == "":
		return errors.New("slack: channel is required with token")
	case !channelID.MatchString(c.Channel) && !channelName.MatchString(c.Channel):
		return fmt.Errorf("slack: channel %q is neither a channel id (C0123ABCD) nor a channel name (#alerts, lower case)", c.Channel)
	}
	return nil
}

func (c Config) validateWebhook() error {
	u, err := url.Parse(c.WebhookURL)
	if err != nil || u.Host == "" {
		return errors.New("slack: webhook_url is not an absolute URL")
	}
	if c.APIURL != "" {
		// Overridden for tests: any http(s) endpoint will do.
		if u.Scheme != "https" && u.Scheme != "http" {
			return fmt.Errorf("slack: webhook_url scheme must be http(s), got %q", u.Scheme)
		}
		return nil
	}
	if u.Scheme != "https" {
		return fmt.Errorf("slack: webhook_url must use https, got %q", u.Scheme)
	}
	if u.Host != "hooks.slack.com" {
		return fmt.Errorf("slack: webhook_url host must be hooks.slack.com, got %q", u.Host)
	}
	if !strings.HasPrefix(u.Path, "/services/") {
		return errors.New("slack: webhook_url path must start with /services/ (copy the whole URL from the app's Incoming Webhooks page)")
	}
	return nil
}

// Notifier sends events to one Slack channel or webhook.
type Notifier struct {
	cfg  Config
	api  *slack.Client // nil in webhook mode
	http *http.Client
}

// Option customises a Notifier.
type Option func(*Notifier)

// WithHTTPClient replaces the HTTP client used for Slack.
func WithHTTPClient(c *http.Client) Option { return func(n *Notifier) { n.http = c } }

// New validates cfg and returns a Notifier. It does not call Slack; use
// AuthTest to check the token at start-up.
func New(cfg Config, opts ...Option) (*Notifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.HTTPTimeout == 0 {
		cfg.HTTPTimeout = DefaultHTTPTimeout
	}
	if cfg.APIURL == "" {
		cfg.APIURL = slack.APIURL
	}
	if !strings.HasSuffix(cfg.APIURL, "/") {
		cfg.APIURL += "/" // slack-go appends the method name
	}
	n := &Notifier{cfg: cfg}
	for _, o := range opts {
		o(n)
	}
	if n.http == nil {
		n.http = &http.Client{Timeout: cfg.HTTPTimeout}
	}
	if cfg.Token != "" {
		// slack-go's own retries stay off: the activity retries, guided by
		// the errors below, and a 429 must reach it with its Retry-After.
		n.api = slack.New(cfg.Token, slack.OptionAPIURL(cfg.APIURL), slack.OptionHTTPClient(n.http))
	}
	return n, nil
}

var _ notify.Notifier = (*Notifier)(nil)

// AuthTest checks the token with auth.test.
func (n *Notifier) AuthTest(ctx context.Context) error {
	if n.api == nil {
		return nil
	}
	if _, err := n.api.AuthTestContext(ctx); err != nil {
		return classify("check slack token (auth.test)", err, "")
	}
	return nil
}

// Send delivers ev and returns the Ref later events of the incident should
// carry: the first message's, or a replacement's when that one is gone.
// Slack has no idempotency key, so a retried post after a lost response can
// duplicate a message; updates are idempotent.
func (n *Notifier) Send(ctx context.Context, ev notify.Event) (notify.Ref, error) {
	if !ev.Kind.Valid() {
		return notify.Ref{}, &notify.PermanentError{Err: fmt.Errorf("slack: unknown event kind %q", ev.Kind)}
	}
	if n.api == nil {
		return notify.Ref{}, n.sendWebhook(ctx, ev)
	}
	switch ev.Kind {
	case notify.KindFiring:
		if ev.Ref.TS == "" {
			return n.post(ctx, ev)
		}
		// Firing again soon after resolving (flapping): the same message
		// goes back to firing, with a line in its thread, not a new page.
		ref, err := n.update(ctx, ev)
		if err != nil {
			return ref, err
		}
		if _, err := n.reply(ctx, notify.Event{Kind: ev.Kind, Summary: ev.Summary, StartedAt: ev.StartedAt, At: ev.At, Ref: ref}); err != nil {
			return ref, fmt.Errorf("slack: message set back to firing, thread reply failed: %w", err)
		}
		return ref, nil
	case notify.KindReminder:
		if ev.Ref.TS == "" {
			return n.post(ctx, ev)
		}
		return n.reply(ctx, ev)
	default: // acknowledged, resolved
		ref, err := n.update(ctx, ev)
		if err != nil || ev.Kind != notify.KindResolved {
			return ref, err
		}
		if _, err := n.reply(ctx, notify.Event{Kind: ev.Kind, By: ev.By, StartedAt: ev.StartedAt, At: ev.At, Ref: ref}); err != nil {
			// The message already says resolved; a retry would only redo
			// the update, which is harmless.
			return ref, fmt.Errorf("slack: resolved message updated, thread reply failed: %w", err)
		}
		return ref, nil
	}
}

// post sends ev as a new top-level message.
func (n *Notifier) post(ctx context.Context, ev notify.Event) (notify.Ref, error) {
	ch, ts, err := n.api.PostMessageContext(ctx, n.cfg.Channel,
		slack.MsgOptionText(FallbackText(ev), false),
		slack.MsgOptionBlocks(Blocks(ev)...),
	)
	if err != nil {
		return notify.Ref{}, classify(fmt.Sprintf("post %s message to %s", ev.Kind, n.cfg.Channel), err, "")
	}
	return notify.Ref{Channel: ch, TS: ts}, nil
}

// reply posts ReplyText(ev) in ev.Ref's thread. If Slack posted it
// un-threaded (the parent was deleted), the reply becomes the incident's
// message and its Ref is returned.
func (n *Notifier) reply(ctx context.Context, ev notify.Event) (notify.Ref, error) {
	ch, ts, msg, err := n.api.PostMessageWithResponseContext(ctx, ev.Ref.Channel,
		slack.MsgOptionText(ReplyText(ev), false),
		slack.MsgOptionTS(ev.Ref.TS),
	)
	if err != nil {
		return ev.Ref, classify(fmt.Sprintf("reply to %s in thread %s/%s", ev.Kind, ev.Ref.Channel, ev.Ref.TS), err, "")
	}
	if msg.ThreadTimestamp == "" {
		return notify.Ref{Channel: ch, TS: ts}, nil
	}
	return ev.Ref, nil
}

// update rewrites the incident's message to ev's state; if the message is
// gone (deleted, or no Ref) it posts a new one instead.
func (n *Notifier) update(ctx context.Context, ev notify.Event) (notify.Ref, error) {
	if ev.Ref.TS == "" || ev.Ref.Channel == "" {
		return n.post(ctx, ev)
	}
	_, _, _, err := n.api.UpdateMessageContext(ctx, ev.Ref.Channel, ev.Ref.TS,
		slack.MsgOptionText(FallbackText(ev), false),
		slack.MsgOptionBlocks(Blocks(ev)...),
	)
	if err == nil {
		return ev.Ref, nil
	}
	if slackCode(err) == "message_not_found" || slackCode(err) == "cant_update_message" {
		return n.post(ctx, ev)
	}
	return ev.Ref, classify(fmt.Sprintf("update message %s/%s to %s", ev.Ref.Channel, ev.Ref.TS, ev.Kind), err, "")
}

func (n *Notifier) sendWebhook(ctx context.Context, ev notify.Event) error {
	blocks := slack.Blocks{BlockSet: Blocks(ev)}
	msg := &slack.WebhookMessage{Text: FallbackText(ev), Blocks: &blocks}
	if err := slack.PostWebhookCustomHTTPContext(ctx, n.cfg.WebhookURL, n.http, msg); err != nil {
		return classify(fmt.Sprintf("post %s message to webhook", ev.Kind), err, n.cfg.WebhookURL)
	}
	return nil
}

// permanent are Slack error codes that no retry can fix.
var permanent = map[string]bool{
	"invalid_auth": true, "not_authed": true, "account_inactive": true, "token_revoked": true,
	"token_expired": true, "no_permission": true, "missing_scope": true, "org_login_required": true,
	"ekm_access_denied": true, "not_allowed_token_type": true, "team_access_not_granted": true,
	"channel_not_found": true, "not_in_channel": true, "is_archived": true, "restricted_action": true,
	"restricted_action_read_only_channel": true, "restricted_action_thread_only_channel": true,
	"invalid_blocks": true, "invalid_blocks_format": true, "msg_too_long": true, "no_text": true,
	"message_not_found": true, "cant_update_message": true, "edit_window_closed": true,
	"invalid_arguments": true, "invalid_arg_name": true, "invalid_form_data": true, "invalid_json": true,
	"invalid_charset": true, "json_not_object": true, "unknown_method": true, "method_not_allowed": true,
}

// classify maps a slack-go error to the errors the activity retries on.
// rawURL, when set, is redacted from the message (webhook URLs are secret).
func classify(doing string, err error, rawURL string) error {
	err = notify.RedactURL(err, rawURL)
	wrapped := fmt.Errorf("slack: %s: %w", doing, err)
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return &notify.RateLimitedError{RetryAfter: rl.RetryAfter, Err: wrapped}
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		switch {
		case sc.Code == http.StatusTooManyRequests:
			return &notify.RateLimitedError{Err: wrapped}
		case sc.Code == http.StatusRequestTimeout || sc.Code >= 500:
			return wrapped
		case sc.Code >= 400:
			return &notify.PermanentError{Err: wrapped}
		}
		return wrapped
	}
	if code := slackCode(err); code != "" && permanent[code] {
		return &notify.PermanentError{Err: wrapped}
	}
	// Network errors, timeouts, internal_error, fatal_error,
	// service_unavailable, request_timeout and codes we don't know: retry.
	return wrapped
}

// slackCode returns Slack's error code from an ok:false answer, or a
// webhook's error body.
func slackCode(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}
