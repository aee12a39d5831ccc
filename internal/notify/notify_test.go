package notify

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestDeliveryID(t *testing.T) {
	a := Event{IncidentID: "inc-1", Kind: KindReminder, Seq: 2}
	if b := a; DeliveryID(a) != DeliveryID(b) || len(DeliveryID(a)) != 32 {
		t.Fatalf("DeliveryID not stable or not 32 hex chars: %q", DeliveryID(a))
	}
	for _, b := range []Event{{IncidentID: "inc-1", Kind: KindReminder, Seq: 3}, {IncidentID: "inc-1", Kind: KindFiring, Seq: 2}, {IncidentID: "inc-12", Kind: KindReminder}} {
		if DeliveryID(a) == DeliveryID(b) {
			t.Errorf("DeliveryID(%+v) == DeliveryID(%+v)", a, b)
		}
	}
}

func TestErrors(t *testing.T) {
	base := errors.New("boom")
	rl := fmt.Errorf("send: %w", &RateLimitedError{RetryAfter: time.Second, Err: base})
	if got, ok := AsRateLimited(rl); !ok || got.RetryAfter != time.Second || !errors.Is(rl, base) {
		t.Fatalf("AsRateLimited(%v) = %v, %v", rl, got, ok)
	}
	pe := fmt.Errorf("send: %w", &PermanentError{Err: base})
	if !IsPermanent(pe) || IsPermanent(rl) || !errors.Is(pe, base) {
		t.Fatalf("IsPermanent wrong for %v / %v", pe, rl)
	}
}

func TestRedactURL(t *testing.T) {
	u := "https://hooks.slack.com/services/T/B/secret"
	err := RedactURL(fmt.Errorf("Post %q: dial tcp: refused", u), u)
	if strings.Contains(err.Error(), "secret") || !strings.Contains(err.Error(), "https://hooks.slack.com/…") {
		t.Fatalf("RedactURL = %v", err)
	}
}

func TestSpanTook(t *testing.T) {
	tests := []struct {
		d, want time.Duration
	}{
		{122*time.Microsecond + 400, 122 * time.Microsecond},
		{12_345 * time.Microsecond, 12_300 * time.Microsecond},
		{2345 * time.Millisecond, 2345 * time.Millisecond},
	}
	for _, tt := range tests {
		s := Span{Duration: tt.d}
		if got := s.Took(); got != tt.want {
			t.Errorf("Took(%v) = %v, want %v", tt.d, got, tt.want)
		}
	}
}
