package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/notify"
)

const secret = "s3cret"

// reply is what the receiver answers to one request.
type reply struct {
	status     int
	retryAfter string
	delay      time.Duration
}

// receiver is a real HTTP receiver that verifies every request as a
// production receiver would and answers with a scripted sequence.
type receiver struct {
	t       *testing.T
	mu      sync.Mutex
	script  []reply
	bodies  [][]byte
	headers []http.Header
	verr    []error
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		r.t.Errorf("receiver: read body: %v", err)
	}
	verr := Verify(secret, req.Header.Get(HeaderTimestamp), body, req.Header.Get(HeaderSignature), 5*time.Minute, time.Now())
	r.mu.Lock()
	r.bodies = append(r.bodies, body)
	r.headers = append(r.headers, req.Header.Clone())
	r.verr = append(r.verr, verr)
	rep := reply{status: http.StatusOK}
	if len(r.script) > 0 {
		rep, r.script = r.script[0], r.script[1:]
	}
	r.mu.Unlock()
	if verr != nil {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if rep.delay > 0 {
		select {
		case <-time.After(rep.delay):
		case <-req.Context().Done():
			return
		}
	}
	if rep.retryAfter != "" {
		w.Header().Set("Retry-After", rep.retryAfter)
	}
	w.WriteHeader(rep.status)
	_, _ = io.WriteString(w, http.StatusText(rep.status))
}

func testEvent() notify.Event {
	start := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	return notify.Event{
		Kind: notify.KindFiring, IncidentID: "inc-1", Rule: "checkout-failing", Severity: "critical",
		Summary: "checkout is failing in eu-west (3 of 3 runs)",
		Group:   map[string]string{"monitor": "checkout", "location": "eu-west"},
		Monitor: "checkout", Location: "eu-west", FailingStep: "pay", Error: "HTTP 503", Assertion: "`status == 200` (got 503)",
		Confirmed: true, Commit: "4f1c2e9d", RunURL: "https://vigil.example/runs/1", WorkflowURL: "https://temporal.example/wf/1",
		SlowestSpan: &notify.Span{Service: "payments", Name: "POST /charge", Duration: 2310500 * time.Microsecond, TraceID: "abc"},
		StartedAt:   start, At: start.Add(5 * time.Minute),
	}
}

func TestSend(t *testing.T) {
	tests := []struct {
		name      string
		script    []reply
		timeout   time.Duration
		wantCalls int
		wantSleep []time.Duration // exact waits when rate limited; nil = don't check
		check     func(t *testing.T, err error)
	}{
		{name: "success", wantCalls: 1, check: wantNoError},
		{name: "500 then 200", script: []reply{{status: 500}}, wantCalls: 2, check: wantNoError},
		{name: "502 503 then 200", script: []reply{{status: 502}, {status: 503}}, wantCalls: 3, check: wantNoError},
		{name: "408 and 425 are retried", script: []reply{{status: 408}, {status: 425}}, wantCalls: 3, check: wantNoError},
		{
			name: "429 with Retry-After seconds is honoured", script: []reply{{status: 429, retryAfter: "2"}},
			wantCalls: 2, wantSleep: []time.Duration{2 * time.Second}, check: wantNoError,
		},
		{
			name: "429 until attempts run out is RateLimitedError", script: []reply{{status: 429, retryAfter: "1"}, {status: 429, retryAfter: "1"}, {status: 429, retryAfter: "7"}},
			wantCalls: 3,
			check: func(t *testing.T, err error) {
				rl, ok := notify.AsRateLimited(err)
				if !ok || rl.RetryAfter != 7*time.Second {
					t.Fatalf("err = %v, want RateLimitedError with RetryAfter 7s", err)
				}
			},
		},
		{
			name: "429 asking for too long goes back to the activity", script: []reply{{status: 429, retryAfter: "600"}},
			wantCalls: 1,
			check: func(t *testing.T, err error) {
				rl, ok := notify.AsRateLimited(err)
				if !ok || rl.RetryAfter != 10*time.Minute {
					t.Fatalf("err = %v, want RateLimitedError with RetryAfter 10m", err)
				}
			},
		},
		{
			name: "timeout is retried then fails retryably", script: []reply{{status: 200, delay: time.Second}, {status: 200, delay: time.Second}, {status: 200, delay: time.Second}},
			timeout: 50 * time.Millisecond, wantCalls: 3,
			check: func(t *testing.T, err error) {
				if err == nil || notify.IsPermanent(err) {
					t.Fatalf("err = %v, want retryable error", err)
				}
				if !strings.Contains(err.Error(), "attempt 3 of 3") {
					t.Errorf("err = %v, want it to say which attempt", err)
				}
			},
		},
		{
			name: "400 is permanent", script: []reply{{status: 400}}, wantCalls: 1,
			check: func(t *testing.T, err error) {
				if !notify.IsPermanent(err) || !strings.Contains(err.Error(), "400") {
					t.Fatalf("err = %v, want PermanentError mentioning 400", err)
				}
			},
		},
		{
			name: "500 until attempts run out is retryable", script: []reply{{status: 500}, {status: 500}, {status: 500}}, wantCalls: 3,
			check: func(t *testing.T, err error) {
				if err == nil || notify.IsPermanent(err) {
					t.Fatalf("err = %v, want retryable error", err)
				}
				if _, ok := notify.AsRateLimited(err); ok {
					t.Fatalf("err = %v, want no RateLimitedError", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := &receiver{t: t, script: tt.script}
			srv := httptest.NewServer(rcv)
			defer srv.Close()
			n, err := New(Config{URL: srv.URL + "/hook?token=hidden", Secret: secret, Timeout: tt.timeout, Headers: map[string]string{"X-Team": "sre"}},
				WithBackoff(time.Millisecond, 5*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			var sleeps []time.Duration
			n.sleep = func(_ context.Context, d time.Duration) error {
				sleeps = append(sleeps, d)
				return nil
			}
			ref, err := n.Send(context.Background(), testEvent())
			tt.check(t, err)
			if !ref.IsZero() {
				t.Errorf("ref = %+v, want zero", ref)
			}
			if err != nil && strings.Contains(err.Error(), "hidden") {
				t.Errorf("error leaks the URL's secret: %v", err)
			}
			rcv.mu.Lock()
			defer rcv.mu.Unlock()
			if len(rcv.bodies) != tt.wantCalls {
				t.Fatalf("receiver got %d requests, want %d", len(rcv.bodies), tt.wantCalls)
			}
			if tt.wantSleep != nil && !equalDurations(sleeps, tt.wantSleep) {
				t.Errorf("slept %v, want %v", sleeps, tt.wantSleep)
			}
			for i, h := range rcv.headers {
				if rcv.verr[i] != nil {
					t.Errorf("request %d: signature rejected: %v", i, rcv.verr[i])
				}
				if h.Get("Content-Type") != "application/json" || h.Get("User-Agent") != "vigil" || h.Get("X-Team") != "sre" {
					t.Errorf("request %d: headers %v", i, h)
				}
				if got, want := h.Get(HeaderDelivery), notify.DeliveryID(testEvent()); got != want {
					t.Errorf("request %d: delivery id %q, want %q (same on every retry)", i, got, want)
				}
			}
		})
	}
}

func wantNoError(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSendStopsWhenContextEnds(t *testing.T) {
	rcv := &receiver{t: t, script: []reply{{status: 500}, {status: 500}, {status: 500}}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	n, err := New(Config{URL: srv.URL, Secret: secret}, WithBackoff(time.Hour, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = n.Send(ctx, testEvent())
	if err == nil || notify.IsPermanent(err) {
		t.Fatalf("err = %v, want retryable error", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("Send waited past its context")
	}
}

func TestPayloadShape(t *testing.T) {
	body, err := json.Marshal(NewPayload(testEvent()))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"version", "delivery_id", "kind", "incident_id", "seq", "rule", "severity", "summary", "group", "monitor", "location", "failing_step", "error", "assertion", "confirmed", "commit", "run_url", "workflow_url", "slowest_span", "started_at", "at", "by"} {
		if _, ok := got[k]; !ok {
			t.Errorf("payload lacks %q: %s", k, body)
		}
	}
	if got["kind"] != "firing" || got["started_at"] != "2024-03-01T10:00:00Z" {
		t.Errorf("payload = %s", body)
	}
	span := got["slowest_span"].(map[string]any)
	if span["duration_ms"] != 2310.5 {
		t.Errorf("duration_ms = %v, want 2310.5", span["duration_ms"])
	}
	// Absent values stay present with stable types.
	empty, _ := json.Marshal(NewPayload(notify.Event{Kind: notify.KindResolved}))
	if !strings.Contains(string(empty), `"group":{}`) || !strings.Contains(string(empty), `"slowest_span":null`) || !strings.Contains(string(empty), `"at":null`) {
		t.Errorf("empty payload = %s", empty)
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(1700000000, 0)
	ts := "1700000000"
	body := []byte(`{"kind":"firing"}`)
	good := Sign(secret, ts, body)
	tests := []struct {
		name   string
		secret string
		ts     string
		body   []byte
		sig    string
		skew   time.Duration
		now    time.Time
		want   error
	}{
		{name: "valid", secret: secret, ts: ts, body: body, sig: good, skew: time.Minute, now: now},
		{name: "valid without skew check", secret: secret, ts: ts, body: body, sig: good, now: now.Add(time.Hour)},
		{name: "bad signature", secret: secret, ts: ts, body: body, sig: Sign("other", ts, body), now: now, want: ErrSignatureMismatch},
		{name: "tampered body", secret: secret, ts: ts, body: []byte(`{"kind":"resolved"}`), sig: good, now: now, want: ErrSignatureMismatch},
		{name: "replayed with new timestamp", secret: secret, ts: "1700000100", body: body, sig: good, now: now, want: ErrSignatureMismatch},
		{name: "too old", secret: secret, ts: ts, body: body, sig: good, skew: time.Minute, now: now.Add(2 * time.Minute), want: ErrTimestampSkew},
		{name: "from the future", secret: secret, ts: ts, body: body, sig: good, skew: time.Minute, now: now.Add(-2 * time.Minute), want: ErrTimestampSkew},
		{name: "missing", secret: secret, ts: ts, body: body, now: now, want: ErrMissingSignature},
		{name: "no prefix", secret: secret, ts: ts, body: body, sig: strings.TrimPrefix(good, "sha256="), now: now, want: ErrMalformedSignature},
		{name: "not hex", secret: secret, ts: ts, body: body, sig: "sha256=zz", now: now, want: ErrMalformedSignature},
		{name: "bad timestamp", secret: secret, ts: "yesterday", body: body, sig: good, now: now, want: ErrBadTimestamp},
		{name: "no secret", ts: ts, body: body, sig: good, now: now, want: ErrNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.secret, tt.ts, tt.body, tt.sig, tt.skew, tt.now)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	tests := map[string]time.Duration{
		"":                              0,
		"3":                             3 * time.Second,
		"-1":                            0,
		"soon":                          0,
		"Fri, 01 Mar 2024 10:00:30 GMT": 30 * time.Second,
		"Fri, 01 Mar 2024 09:59:00 GMT": 0,
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			if got := parseRetryAfter(in, now); got != want {
				t.Fatalf("parseRetryAfter(%q) = %s, want %s", in, got, want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // substring of the error; "" = valid
	}{
		{name: "minimal", cfg: Config{URL: "https://example.com/hook"}},
		{name: "full", cfg: Config{URL: "http://10.0.0.1:8080/hook", Secret: "x", Timeout: time.Second, MaxAttempts: 5, Headers: map[string]string{"Authorization": "Bearer x"}}},
		{name: "no url", cfg: Config{}, want: "url is required"},
		{name: "bad scheme", cfg: Config{URL: "ftp://example.com"}, want: `scheme must be http or https, got "ftp"`},
		{name: "no host", cfg: Config{URL: "https:///path"}, want: "no host"},
		{name: "negative timeout", cfg: Config{URL: "https://e.com", Timeout: -1}, want: "timeout must not be negative"},
		{name: "too many attempts", cfg: Config{URL: "https://e.com", MaxAttempts: 11}, want: "max_attempts must be between 1 and 10"},
		{name: "reserved header", cfg: Config{URL: "https://e.com", Headers: map[string]string{"x-vigil-signature": "x"}}, want: "set by vigil"},
		{name: "bad header name", cfg: Config{URL: "https://e.com", Headers: map[string]string{"Bad Header": "x"}}, want: "not a valid HTTP token"},
		{name: "header injection", cfg: Config{URL: "https://e.com", Headers: map[string]string{"X-A": "a\r\nX-B: b"}}, want: "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want error containing %q", err, tt.want)
			}
		})
	}
}
