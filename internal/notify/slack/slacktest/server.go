// Package slacktest is a fake Slack Web API for tests. It implements the
// few methods vigil uses (auth.test, chat.postMessage, chat.update) and an
// incoming webhook, and rejects requests the way Slack does: HTTP 200 with
// {"ok":false,"error":...} for API errors, invalid_blocks with Slack-style
// reasons for Block Kit that breaks Slack's limits, HTTP 429 with
// Retry-After when told to rate limit.
package slacktest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// Defaults for a Server built without options.
const (
	DefaultToken       = "xoxb-vigil-test-token"
	DefaultChannelID   = "C0VIGIL01"
	DefaultChannelName = "alerts"
	webhookPath        = "/services/T0VIGIL/B0VIGIL/webhooksecret"
)

// Channel is a channel the fake knows. A channel the bot is not a member of
// answers not_in_channel, like Slack.
type Channel struct {
	ID, Name  string
	NotMember bool
}

// Message is an accepted message as it stands now (after any updates).
type Message struct {
	Channel  string
	TS       string
	ThreadTS string // parent ts for thread replies
	Text     string
	Blocks   json.RawMessage // as sent; nil when none
	Webhook  bool            // arrived through the incoming webhook
	Edits    int             // number of chat.update calls applied
}

// Call is one request the fake answered, accepted or not.
type Call struct {
	Method string // "chat.postMessage", "chat.update", "auth.test", "webhook", ...
	Status int    // HTTP status
	Error  string // Slack error code; "" when accepted
	Reason string // invalid_blocks reason, when any
}

// Option configures a Server.
type Option func(*Server)

// WithToken replaces the token the fake accepts.
func WithToken(token string) Option { return func(s *Server) { s.token = token } }

// WithChannels replaces the known channels.
func WithChannels(chs ...Channel) Option { return func(s *Server) { s.channels = chs } }

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	srv      *httptest.Server
	token    string
	channels []Channel

	mu        sync.Mutex
	seq       int
	messages  []*Message // in posting order
	updates   []Message  // every accepted chat.update, as applied
	calls     []Call
	limitN    int
	limitSecs int
	failN     int
	failCode  string
	statusN   int
	status    int
}

// New starts a fake and closes it when t ends.
func New(t testing.TB, opts ...Option) *Server {
	s := &Server{
		token:    DefaultToken,
		channels: []Channel{{ID: DefaultChannelID, Name: DefaultChannelName}},
	}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/services/", s.serveWebhook)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the Web API base URL, ending in "/api/" like https://slack.com/api/.
func (s *Server) URL() string { return s.srv.URL + "/api/" }

// WebhookURL is the incoming webhook's URL; it posts to the first channel.
func (s *Server) WebhookURL() string { return s.srv.URL + webhookPath }

// Token is the token the fake accepts.
func (s *Server) Token() string { return s.token }

// ChannelID is the id of the first known channel.
func (s *Server) ChannelID() string { return s.channels[0].ID }

// RateLimitNext answers the next n requests with HTTP 429 and
// Retry-After: seconds.
func (s *Server) RateLimitNext(n, seconds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limitN, s.limitSecs = n, seconds
}

// FailNext answers the next n API requests with {"ok":false,"error":code}
// (webhook requests with HTTP 400 and code as the body).
func (s *Server) FailNext(n int, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failCode = n, code
}

// FailNextStatus answers the next n requests with the HTTP status and an
// HTML body, as Slack's edge does on 5xx.
func (s *Server) FailNextStatus(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statusN, s.status = n, status
}

// DeleteMessage removes a message, as a person deleting it in Slack would.
func (s *Server) DeleteMessage(channel, ts string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, m := range s.messages {
		if m.Channel == channel && m.TS == ts {
			s.messages = append(s.messages[:i], s.messages[i+1:]...)
			return true
		}
	}
	return false
}

// Messages returns every message now in Slack (top-level and replies) in
// posting order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.messages))
	for _, m := range s.messages {
		out = append(out, *m)
	}
	return out
}

// TopLevel returns the messages that are not thread replies.
func (s *Server) TopLevel() []Message {
	var out []Message
	for _, m := range s.Messages() {
		if m.ThreadTS == "" {
			out = append(out, m)
		}
	}
	return out
}

// Replies returns the thread replies to the message ts in channel.
func (s *Server) Replies(channel, ts string) []Message {
	var out []Message
	for _, m := range s.Messages() {
		if m.Channel == channel && m.ThreadTS == ts {
			out = append(out, m)
		}
	}
	return out
}

// Message returns the message ts in channel.
func (s *Server) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.find(channel, ts); m != nil {
		return *m, true
	}
	return Message{}, false
}

// Updates returns every accepted chat.update, in order.
func (s *Server) Updates() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.updates...)
}

// Calls returns every request answered, accepted or not.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// LastCall returns the most recent request answered.
func (s *Server) LastCall() Call {
	c := s.Calls()
	if len(c) == 0 {
		return Call{}
	}
	return c[len(c)-1]
}

// find must be called with s.mu held.
func (s *Server) find(channel, ts string) *Message {
	for _, m := range s.messages {
		if m.Channel == channel && m.TS == ts {
			return m
		}
	}
	return nil
}

// nextTS returns Slack-shaped, strictly increasing timestamps.
// Must be called with s.mu held.
func (s *Server) nextTS() string {
	s.seq++
	us := s.seq * 100
	return fmt.Sprintf("%d.%06d", 1700000000+us/1_000_000, us%1_000_000)
}

// channel resolves an id, or for chat.postMessage also a name with or
// without '#', as Slack does.
func (s *Server) channel(v string, allowName bool) (Channel, bool) {
	for _, c := range s.channels {
		if c.ID == v || (allowName && (v == c.Name || v == "#"+c.Name)) {
			return c, true
		}
	}
	return Channel{}, false
}

// injected answers a scripted failure, if one is pending.
// It reports whether it answered.
func (s *Server) injected(w http.ResponseWriter, method string, webhook bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.limitN > 0:
		s.limitN--
		w.Header().Set("Retry-After", fmt.Sprint(s.limitSecs))
		s.calls = append(s.calls, Call{Method: method, Status: http.StatusTooManyRequests, Error: "ratelimited"})
		if webhook {
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, "rate_limited")
			return true
		}
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
		return true
	case s.statusN > 0:
		s.statusN--
		s.calls = append(s.calls, Call{Method: method, Status: s.status, Error: http.StatusText(s.status)})
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(s.status)
		_, _ = io.WriteString(w, "<html><body>Slack is having trouble</body></html>")
		return true
	case s.failN > 0:
		s.failN--
		s.calls = append(s.calls, Call{Method: method, Status: http.StatusOK, Error: s.failCode})
		if webhook {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, s.failCode)
			return true
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": s.failCode})
		return true
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// apiError is an ok:false answer.
type apiError struct {
	code   string
	reason string // for invalid_blocks, Slack's response_metadata message
}

// request is a parsed Web API request, form or JSON.
type request struct {
	token string
	args  map[string]json.RawMessage // JSON values; form values become JSON strings
	json  bool
}

func (r *request) str(key string) string {
	raw, ok := r.args[key]
	if !ok {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return string(raw) // numbers and bools, as Slack coerces them
	}
	return s
}

// parse reads an API request as Slack does: POST, form or JSON body,
// token from the Authorization header or (form only) the token field.
func parse(r *http.Request) (*request, *apiError) {
	if r.Method != http.MethodPost {
		return nil, &apiError{code: "method_not_allowed", reason: "this fake, like vigil, only uses POST"}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, &apiError{code: "invalid_form_data"}
	}
	if !utf8.Valid(body) {
		return nil, &apiError{code: "invalid_form_data", reason: "body is not valid UTF-8"}
	}
	req := &request{args: map[string]json.RawMessage{}}
	if auth := r.Header.Get("Authorization"); auth != "" {
		tok, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok {
			return nil, &apiError{code: "invalid_auth"}
		}
		req.token = tok
	}
	ct, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return nil, &apiError{code: "invalid_form_data", reason: "missing or malformed Content-Type"}
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return nil, &apiError{code: "invalid_charset"}
	}
	switch ct {
	case "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, &apiError{code: "invalid_form_data"}
		}
		for k, v := range vals {
			if len(v) == 0 {
				continue
			}
			if k == "token" {
				if req.token == "" {
					req.token = v[0]
				}
				continue
			}
			js, _ := json.Marshal(v[0])
			req.args[k] = js
		}
	case "application/json":
		req.json = true
		if len(body) > 0 {
			if err := json.Unmarshal(body, &req.args); err != nil {
				return nil, &apiError{code: "invalid_json"}
			}
		}
	default:
		return nil, &apiError{code: "invalid_form_data", reason: "unsupported Content-Type " + ct}
	}
	return req, nil
}
