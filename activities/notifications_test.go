package activities

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/alert"
	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/notify"
	"github.com/vigil-dev/vigil/internal/notify/slack/slacktest"
	"github.com/vigil-dev/vigil/internal/secrets"
	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/store/sqlite"
	"github.com/vigil-dev/vigil/internal/store/storetest"
)

const slackChannels = `channels:
  - {name: oncall, type: slack, channel: C0VIGIL01, token: "${secrets.SLACK_TOKEN}"}
rules:
  - {name: shop-down, kind: consecutive_failures, monitors: [shop], threshold: 2, channels: [oncall]}
`

// TestNotificationNamesTheSlowestBackendSpan: the Slack message of a
// firing incident names the slowest backend span of the run's traces as
// the store holds it when the notification is sent, also when the
// evaluation saw none yet or a faster one (spans arrive after the run).
func TestNotificationNamesTheSlowestBackendSpan(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	require.NoError(t, err)
	defer st.Close()
	set, errs := alert.Parse("alerts/shop.yaml", []byte(slackChannels))
	require.Empty(t, errs)
	require.NoError(t, st.PutCatalog(ctx, store.Catalog{Commit: "abc123", Alerts: set}))
	const home, buy = "4bf92f3577b34da6a3ce929d0e0e4736", "0af7651916cd43dd8448eb211c80319c"
	now := time.Now().UTC()
	cart := storetest.NewSpan("s-cart", "cart", now)
	cart.Trace.ID, cart.Span.Name, cart.Span.Duration.US = home, "GET /api/cart", 3_000
	orders := storetest.NewSpan("s-orders", "checkout", now)
	orders.Trace.ID, orders.Span.Name, orders.Span.Duration.US = buy, "POST /api/orders", 812_000
	require.NoError(t, st.WriteSpans(ctx, []span.Span{cart, orders}))

	fake := slacktest.New(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	n := NewNotifications(st, secrets.FromEnv([]string{"VIGIL_SECRET_SLACK_TOKEN=" + fake.Token()}),
		NotifyOptions{SlackAPIURL: fake.URL()}, log).WithSpans(st)
	for _, tc := range []struct {
		name     string
		atEval   *notify.Span
		traceIDs []string
		want     string
	}{
		{"none at evaluation", nil, []string{home, buy}, "checkout · POST /api/orders · 812ms · trace " + buy},
		{"a faster one at evaluation", &notify.Span{Service: "cart", Name: "GET /api/cart", Duration: 3 * time.Millisecond, TraceID: home},
			[]string{home, buy}, "checkout · POST /api/orders · 812ms · trace " + buy},
		{"no trace of its own in the store", &notify.Span{Service: "cart", Name: "GET /api/cart", Duration: 3 * time.Millisecond, TraceID: home},
			[]string{"11111111111111111111111111111111"}, "cart · GET /api/cart · 3ms · trace " + home},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(fake.TopLevel())
			ev := notify.Event{Kind: notify.KindFiring, IncidentID: "vigil-incident/shop-down/" + tc.name, Rule: "shop-down",
				Severity: "critical", Summary: "shop is down", Monitor: "shop", SlowestSpan: tc.atEval, TraceIDs: tc.traceIDs,
				StartedAt: now, At: now}
			_, err := n.SendNotification(ctx, contract.NotifyInput{Channel: "oncall", Event: ev})
			require.NoError(t, err)
			msgs := fake.TopLevel()
			require.Len(t, msgs, before+1)
			blocks := string(msgs[len(msgs)-1].Blocks)
			require.Contains(t, blocks, "Slowest backend span")
			require.True(t, strings.Contains(blocks, tc.want), "message %s does not name %q", blocks, tc.want)
		})
	}
}
