package demoapp

import (
	"context"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestHome(t *testing.T) {
	rec := do(New(testOptions(t)), "GET", "/", "", "")
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("status %d, content type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	body := rec.Body.String()
	for _, want := range []string{"<title>Vigil Demo Shop</title>", `<form id="login"`, "Synthetic Sunglasses", "€19.99"} {
		if !strings.Contains(body, want) {
			t.Errorf("home page lacks %q", want)
		}
	}
}

func TestUnknownRoutes(t *testing.T) {
	h := New(testOptions(t))
	if rec := do(h, "GET", "/nope", "", ""); rec.Code != http.StatusNotFound {
		t.Errorf("GET /nope: status %d", rec.Code)
	}
	if rec := do(h, "GET", "/api/login", "", ""); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET /api/login: status %d", rec.Code)
	}
}

func TestHealthz(t *testing.T) {
	rec := do(New(testOptions(t)), "GET", "/healthz", "", "")
	if rec.Code != http.StatusOK || decode[map[string]string](t, rec.Body)["status"] != "ok" {
		t.Fatalf("status %d", rec.Code)
	}
}

func TestCheckout(t *testing.T) {
	h := New(testOptions(t))
	first := decode[order](t, do(h, "GET", "/api/checkout", "", "").Body)
	second := decode[order](t, do(h, "GET", "/api/checkout", "", "").Body)
	if first.OrderID == second.OrderID || first.Status != "confirmed" || first.Currency != "EUR" {
		t.Fatalf("orders %+v and %+v", first, second)
	}
	if len(first.Items) == 0 || first.Customer.Email == "" || first.CreatedAt.IsZero() {
		t.Fatalf("incomplete order %+v", first)
	}
	sum := 0.0
	for _, l := range first.Items {
		sum += float64(l.Quantity) * l.Price
	}
	if math.Abs(sum-first.Subtotal) > 0.001 || math.Abs(first.Subtotal+first.Shipping+first.Tax-first.Total) > 0.001 {
		t.Fatalf("amounts do not add up: %+v", first)
	}
}

func TestSlow(t *testing.T) {
	opts := testOptions(t)
	opts.Rand = sequence(0.1, 0.5) // slow, then fast, with the default 0.2
	opts.SlowDelay = 10 * time.Millisecond
	h := New(opts)

	slow := decode[map[string]any](t, do(h, "GET", "/api/slow", "", "").Body)
	if slow["slow"] != true || slow["delay_ms"] != 10.0 {
		t.Fatalf("first request: %v, want slow", slow)
	}
	fast := decode[map[string]any](t, do(h, "GET", "/api/slow", "", "").Body)
	if fast["slow"] != false {
		t.Fatalf("second request: %v, want fast", fast)
	}
}

func TestSlowHonoursContext(t *testing.T) {
	opts := testOptions(t)
	opts.Rand = sequence(0)
	opts.SlowDelay = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "/api/slow", nil)
	rec := httptest.NewRecorder()
	New(opts).ServeHTTP(rec, req) // returns at once instead of sleeping an hour
	if rec.Body.Len() != 0 {
		t.Fatalf("abandoned request got a body: %s", rec.Body)
	}
}

func TestFlaky(t *testing.T) {
	opts := testOptions(t)
	opts.Rand = sequence(0.05, 0.1, 0.9) // fail, boundary (succeed), succeed
	h := New(opts)
	want := []int{http.StatusServiceUnavailable, http.StatusOK, http.StatusOK}
	for i, code := range want {
		rec := do(h, "GET", "/api/flaky", "", "")
		if rec.Code != code {
			t.Fatalf("request %d: status %d, want %d", i, rec.Code, code)
		}
		if code != http.StatusOK && decode[map[string]string](t, rec.Body)["error"] == "" {
			t.Fatalf("request %d: no JSON error", i)
		}
	}
}

func TestNegativeProbabilityMeansNever(t *testing.T) {
	opts := testOptions(t)
	opts.Rand = sequence(0)
	opts.FailProbability = -1
	opts.SlowProbability = -1
	h := New(opts)
	if rec := do(h, "GET", "/api/flaky", "", ""); rec.Code != http.StatusOK {
		t.Fatalf("flaky: status %d", rec.Code)
	}
	if slow := decode[map[string]any](t, do(h, "GET", "/api/slow", "", "").Body); slow["slow"] != false {
		t.Fatalf("slow: %v", slow)
	}
}

// TestProbabilities checks the observed rates with a seeded generator, so
// the outcome is the same on every run.
func TestProbabilities(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var mu sync.Mutex
	opts := testOptions(t)
	opts.Rand = func() float64 { mu.Lock(); defer mu.Unlock(); return rng.Float64() }
	opts.SlowDelay = time.Nanosecond
	h := New(opts)

	const n = 5000
	failed, slow := 0, 0
	for range n {
		if do(h, "GET", "/api/flaky", "", "").Code != http.StatusOK {
			failed++
		}
		if decode[map[string]any](t, do(h, "GET", "/api/slow", "", "").Body)["slow"] == true {
			slow++
		}
	}
	if rate := float64(failed) / n; math.Abs(rate-DefaultFailProbability) > 0.02 {
		t.Errorf("fail rate %.3f, want about %.2f", rate, DefaultFailProbability)
	}
	if rate := float64(slow) / n; math.Abs(rate-DefaultSlowProbability) > 0.02 {
		t.Errorf("slow rate %.3f, want about %.2f", rate, DefaultSlowProbability)
	}
}
