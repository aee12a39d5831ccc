// Package demoapp is the small shop that the example monitors watch: an HTML
// page, a login, an authenticated API, and endpoints that are slow or fail
// on purpose, so that a fresh `vigil dev --demo` has something to show.
package demoapp

import (
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Options.
const (
	DefaultAddr            = "127.0.0.1:8081"
	DefaultPassword        = "demo-password"
	DefaultSlowProbability = 0.2
	DefaultFailProbability = 0.1
	DefaultSlowDelay       = 1500 * time.Millisecond
	// DemoUser is the only user that can log in.
	DemoUser = "demo"
)

// tokenTTL bounds the token table: monitors log in every few seconds.
const tokenTTL = time.Hour

// Options configures the demo app; zero values take the defaults.
type Options struct {
	// Password of DemoUser.
	Password string
	// SlowProbability is the chance that /api/slow takes SlowDelay; a
	// negative value means never.
	SlowProbability float64
	// FailProbability is the chance that /api/flaky answers 503; a negative
	// value means never.
	FailProbability float64
	SlowDelay       time.Duration
	// WebhookSecret verifies the alerts vigil posts to /hooks/alerts.
	WebhookSecret string
	// Rand returns numbers in [0, 1); tests inject a fixed sequence. It must
	// be safe for concurrent use. math/rand/v2's Float64 by default.
	Rand   func() float64
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Password == "" {
		o.Password = DefaultPassword
	}
	if o.SlowProbability == 0 {
		o.SlowProbability = DefaultSlowProbability
	}
	if o.FailProbability == 0 {
		o.FailProbability = DefaultFailProbability
	}
	if o.SlowDelay == 0 {
		o.SlowDelay = DefaultSlowDelay
	}
	if o.WebhookSecret == "" {
		o.WebhookSecret = DefaultWebhookSecret
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	o.Logger = componentLogger(o.Logger)
	return o
}

func componentLogger(l *slog.Logger) *slog.Logger {
	if l == nil {
		l = slog.Default()
	}
	return l.With("component", "demo-app")
}

// app holds the state of one demo app instance.
type app struct {
	opts Options
	log  *slog.Logger
	now  func() time.Time

	mu     sync.Mutex
	tokens map[string]time.Time // token -> expiry

	orders atomic.Int64
	hooks  hooks
}

// New returns the demo app's handler.
func New(opts Options) http.Handler {
	return newApp(opts).routes()
}

func newApp(opts Options) *app {
	opts = opts.withDefaults()
	return &app{opts: opts, log: opts.Logger, now: time.Now, tokens: make(map[string]time.Time), hooks: hooks{secret: opts.WebhookSecret}}
}

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.HandleFunc("POST /hooks/alerts", func(w http.ResponseWriter, r *http.Request) { a.hooks.receive(w, r, a) })
	mux.HandleFunc("GET /hooks/alerts", a.hooks.list)
	mux.HandleFunc("POST /api/login", a.login)
	mux.HandleFunc("GET /api/items", a.requireToken(a.items))
	mux.HandleFunc("GET /api/slow", a.slow)
	mux.HandleFunc("GET /api/flaky", a.flaky)
	mux.HandleFunc("GET /api/checkout", a.checkout)
	return a.accessLog(mux)
}

func (a *app) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// accessLog logs every request at debug level: the demo is meant to be
// watched, and its traffic is more useful in traces than in logs.
func (a *app) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		a.log.Debug("request", "method", r.Method, "path", r.URL.Path,
			"status", rec.status, "duration", time.Since(start))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
