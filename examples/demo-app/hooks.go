package demoapp

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/vigil-dev/vigil/internal/notify/webhook"
)

// DefaultWebhookSecret signs the example alerts' webhook (examples/secrets.yaml).
const DefaultWebhookSecret = "demo-webhook-secret"

// maxHooks bounds the alerts the demo keeps.
const maxHooks = 100

// hooks receives vigil's alert webhook, so that `vigil dev --demo` shows
// notifications without Slack: it checks the HMAC signature as a real
// receiver must, logs each alert and lists the last ones on GET.
type hooks struct {
	secret string
	mu     sync.Mutex
	got    []webhook.Payload
}

func (h *hooks) receive(w http.ResponseWriter, r *http.Request, a *app) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	if err := webhook.Verify(h.secret, r.Header.Get(webhook.HeaderTimestamp), body, r.Header.Get(webhook.HeaderSignature), 5*time.Minute, a.now()); err != nil {
		a.log.Warn("alert webhook refused", "error", err)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var p webhook.Payload
	if err := json.Unmarshal(body, &p); err != nil {
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	a.log.Info("alert received", "kind", p.Kind, "rule", p.Rule, "severity", p.Severity, "summary", p.Summary, "incident", p.IncidentID)
	h.mu.Lock()
	h.got = append(h.got, p)
	if len(h.got) > maxHooks {
		h.got = h.got[len(h.got)-maxHooks:]
	}
	h.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (h *hooks) list(w http.ResponseWriter, _ *http.Request) {
	h.mu.Lock()
	got := append([]webhook.Payload{}, h.got...)
	h.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"alerts": got})
}
