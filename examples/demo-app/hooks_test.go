package demoapp

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/notify"
	"github.com/vigil-dev/vigil/internal/notify/webhook"
)

// TestHooksReceiveSignedAlerts posts an alert with vigil's own webhook
// notifier: a signed one is kept and listed, an unsigned one refused.
func TestHooksReceiveSignedAlerts(t *testing.T) {
	srv := httptest.NewServer(New(Options{}))
	defer srv.Close()
	n, err := webhook.New(webhook.Config{URL: srv.URL + "/hooks/alerts", Secret: DefaultWebhookSecret})
	if err != nil {
		t.Fatal(err)
	}
	ev := notify.Event{Kind: notify.KindFiring, IncidentID: "i1", Rule: "demo-down", Summary: "demo-home is down", At: time.Now()}
	if _, err := n.Send(context.Background(), ev); err != nil {
		t.Fatalf("signed alert refused: %v", err)
	}
	resp, err := http.Post(srv.URL+"/hooks/alerts", "application/json", bytes.NewReader([]byte(`{"kind":"firing"}`)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned alert: status %d, want 401", resp.StatusCode)
	}
	resp, err = http.Get(srv.URL + "/hooks/alerts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct{ Alerts []webhook.Payload }
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if len(got.Alerts) != 1 || got.Alerts[0].Summary != "demo-home is down" {
		t.Fatalf("listed alerts = %+v, want the signed one only", got.Alerts)
	}
}
