package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/vigil-dev/vigil/internal/alert"
	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/notify"
	"github.com/vigil-dev/vigil/internal/notify/slack"
	"github.com/vigil-dev/vigil/internal/notify/webhook"
	"github.com/vigil-dev/vigil/internal/runtrace"
	"github.com/vigil-dev/vigil/internal/secrets"
	"github.com/vigil-dev/vigil/internal/store"
)

// NotifyOptions configure the notifiers.
type NotifyOptions struct {
	// SlackAPIURL replaces https://slack.com/api/ (a proxy, or a fake in tests).
	SlackAPIURL string
}

// Notifications sends incident events to the channels of the catalog,
// resolving their secrets on this worker.
type Notifications struct {
	catalog store.CatalogStore
	secrets secrets.Source
	opts    NotifyOptions
	spans   runtrace.Spans // nil: the evaluation's slowest span is sent as is
	log     *slog.Logger
}

// NewNotifications builds the notification activity.
func NewNotifications(catalog store.CatalogStore, src secrets.Source, opts NotifyOptions, log *slog.Logger) *Notifications {
	return &Notifications{catalog: catalog, secrets: src, opts: opts, log: log.With("component", "notifications")}
}

// WithSpans makes every notification look up the slowest backend span of
// the run's traces when it is sent: spans the agent delivered after the
// rule fired are counted, and reminders see the latest.
func (n *Notifications) WithSpans(sp runtrace.Spans) *Notifications {
	n.spans = sp
	return n
}

// slowestSpan looks the run's slowest backend span up now; a store that
// fails keeps the one the evaluation found.
func (n *Notifications) slowestSpan(ctx context.Context, ev *notify.Event) {
	if n.spans == nil || len(ev.TraceIDs) == 0 {
		return
	}
	s, err := runtrace.Slowest(ctx, n.spans, time.Time{}, ev.TraceIDs)
	if err != nil {
		n.log.Warn("looking up the slowest backend span failed", "incident", ev.IncidentID, "error", err)
		return
	}
	if s != nil {
		ev.SlowestSpan = &notify.Span{Service: s.Service, Name: s.Name, TraceID: s.TraceID, SpanID: s.SpanID,
			Duration: time.Duration(s.Duration.US) * time.Microsecond}
	}
}

// SendNotification delivers one event to one channel. Slack's rate limit
// becomes a retry after its Retry-After; a refused token, an unknown
// channel or a malformed message are not retried (retrying cannot fix
// them) and name the channel.
func (n *Notifications) SendNotification(ctx context.Context, in contract.NotifyInput) (notify.Ref, error) {
	masker := secrets.NewMasker() // the channel's secrets never reach an error, a log or the history
	nt, err := n.notifier(ctx, in.Channel, masker)
	if err != nil {
		msg := masker.Mask(err.Error())
		return notify.Ref{}, temporal.NewNonRetryableApplicationError(msg, "ChannelConfig", nil)
	}
	n.slowestSpan(ctx, &in.Event)
	ref, err := nt.Send(ctx, in.Event)
	if err == nil {
		return ref, nil
	}
	msg := masker.Mask(fmt.Sprintf("sending %s of incident %s to channel %s: %v", in.Event.Kind, in.Event.IncidentID, in.Channel, err))
	if rl, ok := notify.AsRateLimited(err); ok {
		n.log.Warn("rate limited", "channel", in.Channel, "retry_after", rl.RetryAfter)
		return notify.Ref{}, temporal.NewApplicationErrorWithOptions(msg, "RateLimited",
			temporal.ApplicationErrorOptions{NextRetryDelay: rl.RetryAfter})
	}
	if notify.IsPermanent(err) {
		n.log.Error("notification refused", "channel", in.Channel, "error", msg)
		return notify.Ref{}, temporal.NewNonRetryableApplicationError(msg, "NotificationRefused", nil)
	}
	return notify.Ref{}, errors.New(msg)
}

// notifier builds the channel's notifier from the current catalog.
func (n *Notifications) notifier(ctx context.Context, name string, masker *secrets.Masker) (notify.Notifier, error) {
	cat, err := n.catalog.GetCatalog(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the catalog for channel %s: %w", name, err)
	}
	ch, ok := findChannel(cat.Alerts.Channels, name)
	if !ok {
		return nil, fmt.Errorf("channel %q is not defined in the alerts of commit %s", name, cat.Commit)
	}
	expand := func(field, v string) (string, error) {
		out, err := secrets.Expand(v, nil, n.secrets, masker)
		if err != nil {
			return "", fmt.Errorf("channel %s: %s: %w", name, field, err)
		}
		return out, nil
	}
	switch ch.Type {
	case "slack":
		token, err := expand("token", ch.Token)
		if err != nil {
			return nil, err
		}
		hook, err := expand("webhook_url", ch.WebhookURL)
		if err != nil {
			return nil, err
		}
		nt, err := slack.New(slack.Config{Token: token, Channel: ch.Channel, WebhookURL: hook, APIURL: n.opts.SlackAPIURL})
		if err != nil {
			return nil, fmt.Errorf("channel %s: %w", name, err)
		}
		return nt, nil
	case "webhook":
		u, err := expand("url", ch.URL)
		if err != nil {
			return nil, err
		}
		secret, err := expand("secret", ch.Secret)
		if err != nil {
			return nil, err
		}
		nt, err := webhook.New(webhook.Config{URL: u, Secret: secret})
		if err != nil {
			return nil, fmt.Errorf("channel %s: %w", name, err)
		}
		return nt, nil
	}
	return nil, fmt.Errorf("channel %s has unknown type %q", name, ch.Type)
}

func findChannel(chs []alert.Channel, name string) (alert.Channel, bool) {
	for _, c := range chs {
		if c.Name == name {
			return c, true
		}
	}
	return alert.Channel{}, false
}

// Incidents stores incident states.
type Incidents struct {
	w store.IncidentWriter
}

// NewIncidents builds the incident store activity.
func NewIncidents(w store.IncidentWriter) *Incidents { return &Incidents{w: w} }

// StoreIncident writes the incident's current state (an older state than
// the stored one is ignored by the store).
func (s *Incidents) StoreIncident(ctx context.Context, in store.Incident) error {
	if err := s.w.PutIncident(ctx, in); err != nil {
		return fmt.Errorf("storing incident %s: %w", in.ID, err)
	}
	return nil
}
