package slack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/notify"
	vslack "github.com/vigil-dev/vigil/internal/notify/slack"
	"github.com/vigil-dev/vigil/internal/notify/slack/slacktest"
)

func event(kind notify.Kind) notify.Event {
	start := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	return notify.Event{
		Kind: kind, IncidentID: "inc-1", Rule: "checkout-failing", Severity: "critical",
		Summary: "checkout is failing in eu-west (3 of 3 runs)", Monitor: "checkout", Location: "eu-west",
		FailingStep: "pay", Error: "HTTP 503", Assertion: "`status == 200` (got 503)", Confirmed: true,
		Commit: "4f1c2e9d8b7a6f5e", RunURL: "https://vigil.example/runs/1", WorkflowURL: "https://temporal.example/wf/1",
		StartedAt: start, At: start.Add(10 * time.Minute),
	}
}

func newNotifier(t *testing.T, fake *slacktest.Server, mutate func(*vslack.Config)) *vslack.Notifier {
	t.Helper()
	cfg := vslack.Config{Token: fake.Token(), Channel: "#alerts", APIURL: fake.URL(), HTTPTimeout: 5 * time.Second}
	if mutate != nil {
		mutate(&cfg)
	}
	n, err := vslack.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func headerText(t *testing.T, blocks json.RawMessage) string {
	t.Helper()
	var bs []struct {
		Type string `json:"type"`
		Text struct {
			Text string `json:"text"`
		} `json:"text"`
	}
	if err := json.Unmarshal(blocks, &bs); err != nil || len(bs) == 0 {
		t.Fatalf("blocks %s: %v", blocks, err)
	}
	return bs[0].Text.Text
}

func TestIncidentLifecycle(t *testing.T) {
	fake := slacktest.New(t)
	n := newNotifier(t, fake, nil)
	ctx := context.Background()
	if err := n.AuthTest(ctx); err != nil {
		t.Fatalf("AuthTest: %v", err)
	}

	ref, err := n.Send(ctx, event(notify.KindFiring))
	if err != nil {
		t.Fatalf("firing: %v", err)
	}
	if ref.Channel != slacktest.DefaultChannelID || ref.TS == "" {
		t.Fatalf("firing ref = %+v, want the channel id and a ts", ref)
	}
	if top := fake.TopLevel(); len(top) != 1 || !strings.HasPrefix(headerText(t, top[0].Blocks), "🔴 FIRING") {
		t.Fatalf("after firing: top-level messages %+v", top)
	}

	rem := event(notify.KindReminder)
	rem.Seq, rem.Ref = 1, ref
	if got, err := n.Send(ctx, rem); err != nil || got != ref {
		t.Fatalf("reminder = %+v, %v; want %+v", got, err, ref)
	}
	if r := fake.Replies(ref.Channel, ref.TS); len(r) != 1 || !strings.Contains(r[0].Text, "Still firing after 10m (reminder 1)") {
		t.Fatalf("after reminder: replies %+v", r)
	}

	ack := event(notify.KindAcknowledged)
	ack.By, ack.Ref = "alice", ref
	if got, err := n.Send(ctx, ack); err != nil || got != ref {
		t.Fatalf("ack = %+v, %v; want %+v", got, err, ref)
	}
	m, _ := fake.Message(ref.Channel, ref.TS)
	if !strings.HasPrefix(headerText(t, m.Blocks), "👀 ACKNOWLEDGED") || !strings.Contains(string(m.Blocks), "alice") {
		t.Fatalf("after ack: message %s", m.Blocks)
	}

	res := event(notify.KindResolved)
	res.By, res.Ref = "bob", ref
	if got, err := n.Send(ctx, res); err != nil || got != ref {
		t.Fatalf("resolve = %+v, %v; want %+v", got, err, ref)
	}
	m, _ = fake.Message(ref.Channel, ref.TS)
	if !strings.HasPrefix(headerText(t, m.Blocks), "✅ RESOLVED") || m.Edits != 2 {
		t.Fatalf("after resolve: message %+v", m)
	}
	if r := fake.Replies(ref.Channel, ref.TS); len(r) != 2 || r[1].Text != "✅ Resolved by bob after 10m" {
		t.Fatalf("after resolve: replies %+v", r)
	}
	if top := fake.TopLevel(); len(top) != 1 {
		t.Fatalf("the incident has %d top-level messages, want 1", len(top))
	}
}

func TestUpdateOfDeletedMessagePostsNew(t *testing.T) {
	fake := slacktest.New(t)
	n := newNotifier(t, fake, nil)
	ctx := context.Background()
	ref, err := n.Send(ctx, event(notify.KindFiring))
	if err != nil {
		t.Fatal(err)
	}
	fake.DeleteMessage(ref.Channel, ref.TS)
	ack := event(notify.KindAcknowledged)
	ack.Ref = ref
	got, err := n.Send(ctx, ack)
	if err != nil {
		t.Fatalf("ack: %v", err)
	}
	if got == ref || got.TS == "" {
		t.Fatalf("ack ref = %+v, want a new message's ref", got)
	}
	if m, ok := fake.Message(got.Channel, got.TS); !ok || !strings.HasPrefix(headerText(t, m.Blocks), "👀 ACKNOWLEDGED") {
		t.Fatalf("new message %+v", m)
	}
	// A reminder whose parent is gone lands un-threaded and becomes the
	// incident's message.
	fake.DeleteMessage(got.Channel, got.TS)
	rem := event(notify.KindReminder)
	rem.Ref = got
	again, err := n.Send(ctx, rem)
	if err != nil || again == got || again.TS == "" {
		t.Fatalf("reminder = %+v, %v; want a new ref", again, err)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(*slacktest.Server)
		cfg     func(*vslack.Config)
		check   func(t *testing.T, err error)
		wantMsg string
	}{
		{
			name:  "429 is RateLimitedError with Retry-After",
			setup: func(s *slacktest.Server) { s.RateLimitNext(1, 42) },
			check: func(t *testing.T, err error) {
				rl, ok := notify.AsRateLimited(err)
				if !ok || rl.RetryAfter != 42*time.Second {
					t.Fatalf("err = %v, want RateLimitedError{42s}", err)
				}
			},
		},
		{name: "bad token is permanent", cfg: func(c *vslack.Config) { c.Token = "xoxb-wrong" }, check: permanent, wantMsg: "invalid_auth"},
		{name: "revoked token is permanent", setup: func(s *slacktest.Server) { s.FailNext(1, "token_revoked") }, check: permanent, wantMsg: "token_revoked"},
		{name: "unknown channel is permanent", cfg: func(c *vslack.Config) { c.Channel = "C0NOPE0001" }, check: permanent, wantMsg: "channel_not_found"},
		{name: "internal_error is retryable", setup: func(s *slacktest.Server) { s.FailNext(1, "internal_error") }, check: retryable, wantMsg: "internal_error"},
		{name: "503 is retryable", setup: func(s *slacktest.Server) { s.FailNextStatus(1, http.StatusServiceUnavailable) }, check: retryable, wantMsg: "503"},
		{name: "network error is retryable", cfg: func(c *vslack.Config) { c.APIURL = "http://127.0.0.1:1/api/" }, check: retryable, wantMsg: "post firing message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := slacktest.New(t)
			if tt.setup != nil {
				tt.setup(fake)
			}
			n := newNotifier(t, fake, tt.cfg)
			_, err := n.Send(context.Background(), event(notify.KindFiring))
			tt.check(t, err)
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %v, want it to mention %q", err, tt.wantMsg)
			}
		})
	}
}

func permanent(t *testing.T, err error) {
	t.Helper()
	if !notify.IsPermanent(err) {
		t.Fatalf("err = %v, want PermanentError", err)
	}
}

func retryable(t *testing.T, err error) {
	t.Helper()
	if err == nil || notify.IsPermanent(err) {
		t.Fatalf("err = %v, want a retryable error", err)
	}
	if _, ok := notify.AsRateLimited(err); ok {
		t.Fatalf("err = %v, want no RateLimitedError", err)
	}
}

func TestWebhookMode(t *testing.T) {
	fake := slacktest.New(t)
	n, err := vslack.New(vslack.Config{WebhookURL: fake.WebhookURL(), APIURL: fake.URL()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, k := range []notify.Kind{notify.KindFiring, notify.KindReminder, notify.KindAcknowledged, notify.KindResolved} {
		ref, err := n.Send(ctx, event(k))
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if !ref.IsZero() {
			t.Fatalf("%s: ref = %+v, want zero (webhooks cannot address messages)", k, ref)
		}
	}
	msgs := fake.Messages()
	if len(msgs) != 4 || !msgs[3].Webhook || !strings.HasPrefix(headerText(t, msgs[3].Blocks), "✅ RESOLVED") {
		t.Fatalf("webhook messages %+v", msgs)
	}

	fake.RateLimitNext(1, 3)
	if _, err := n.Send(ctx, event(notify.KindFiring)); err == nil {
		t.Fatal("want rate limit error")
	} else if rl, ok := notify.AsRateLimited(err); !ok || rl.RetryAfter != 3*time.Second {
		t.Fatalf("err = %v, want RateLimitedError{3s}", err)
	}
	fake.FailNext(1, "channel_is_archived")
	_, err = n.Send(ctx, event(notify.KindFiring))
	if !notify.IsPermanent(err) {
		t.Fatalf("err = %v, want PermanentError", err)
	}
	if strings.Contains(err.Error(), "webhooksecret") {
		t.Fatalf("error leaks the webhook URL: %v", err)
	}
}

func TestHugeEventIsAccepted(t *testing.T) {
	fake := slacktest.New(t)
	n := newNotifier(t, fake, nil)
	ev := event(notify.KindFiring)
	ev.Summary = strings.Repeat("界", 500)
	ev.Error = strings.Repeat("<&>", 3000) + strings.Repeat("🔥", 2000)
	ev.Assertion = strings.Repeat("é", 5000)
	ev.Monitor = strings.Repeat("m", 5000)
	ev.Rule = strings.Repeat("r", 5000)
	ev.SlowestSpan = &notify.Span{Service: strings.Repeat("s", 4000), Name: "n", Duration: time.Second}
	ev.Group = map[string]string{"a": strings.Repeat("x", 5000), "b": "y"}
	if _, err := n.Send(context.Background(), ev); err != nil {
		t.Fatalf("Send: %v (%+v)", err, fake.LastCall())
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  vslack.Config
		want string
	}{
		{name: "token", cfg: vslack.Config{Token: "xoxb-1", Channel: "C0123ABCD"}},
		{name: "user token and name", cfg: vslack.Config{Token: "xoxp-1", Channel: "#alerts"}},
		{name: "webhook", cfg: vslack.Config{WebhookURL: "https://hooks.slack.com/services/T/B/x"}},
		{name: "nothing", cfg: vslack.Config{}, want: "set token and channel"},
		{name: "both", cfg: vslack.Config{Token: "xoxb-1", Channel: "#a", WebhookURL: "https://hooks.slack.com/services/x"}, want: "not both"},
		{name: "no channel", cfg: vslack.Config{Token: "xoxb-1"}, want: "channel is required"},
		{name: "no token", cfg: vslack.Config{Channel: "#a"}, want: "token is required"},
		{name: "app token", cfg: vslack.Config{Token: "xapp-1-secret", Channel: "#a"}, want: `starts with "xapp"`},
		{name: "token with newline", cfg: vslack.Config{Token: "xoxb-1\n", Channel: "#a"}, want: "whitespace"},
		{name: "bad channel", cfg: vslack.Config{Token: "xoxb-1", Channel: "Alerts Room"}, want: "neither a channel id"},
		{name: "http webhook", cfg: vslack.Config{WebhookURL: "http://hooks.slack.com/services/x"}, want: "must use https"},
		{name: "other host", cfg: vslack.Config{WebhookURL: "https://evil.example/services/x"}, want: "hooks.slack.com"},
		{name: "bad path", cfg: vslack.Config{WebhookURL: "https://hooks.slack.com/x"}, want: "/services/"},
		{name: "test webhook", cfg: vslack.Config{WebhookURL: "http://127.0.0.1:9/services/x", APIURL: "http://127.0.0.1:9/api/"}},
		{name: "bad api url", cfg: vslack.Config{Token: "xoxb-1", Channel: "#a", APIURL: "slack"}, want: "api_url"},
		{name: "negative timeout", cfg: vslack.Config{Token: "xoxb-1", Channel: "#a", HTTPTimeout: -time.Second}, want: "http_timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Fatalf("Validate leaks a secret: %v", err)
			}
		})
	}
}
