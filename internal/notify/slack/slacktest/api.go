package slacktest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"
)

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	if s.injected(w, method, false) {
		return
	}
	var (
		resp map[string]any
		aerr *apiError
	)
	req, aerr := parse(r)
	if aerr == nil {
		aerr = s.authorize(req)
	}
	if aerr == nil {
		switch method {
		case "auth.test":
			resp = map[string]any{"url": "https://vigil-test.slack.com/", "team": "vigil-test", "user": "vigil",
				"team_id": "T0VIGIL", "user_id": "U0VIGIL", "bot_id": "B0VIGIL"}
		case "chat.postMessage":
			resp, aerr = s.postMessage(req)
		case "chat.update":
			resp, aerr = s.update(req)
		default:
			aerr = &apiError{code: "unknown_method"}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if aerr != nil {
		s.calls = append(s.calls, Call{Method: method, Status: http.StatusOK, Error: aerr.code, Reason: aerr.reason})
		out := map[string]any{"ok": false, "error": aerr.code}
		if aerr.reason != "" {
			out["response_metadata"] = map[string]any{"messages": []string{aerr.reason}}
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	s.calls = append(s.calls, Call{Method: method, Status: http.StatusOK})
	resp["ok"] = true
	if req.json && !strings.Contains(strings.ToLower(r.Header.Get("Content-Type")), "charset") {
		// Slack accepts it but warns, so callers notice.
		resp["warning"] = "missing_charset"
		resp["response_metadata"] = map[string]any{"warnings": []string{"missing_charset"}}
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) authorize(req *request) *apiError {
	switch req.token {
	case "":
		return &apiError{code: "not_authed"}
	case s.token:
		return nil
	default:
		return &apiError{code: "invalid_auth"}
	}
}

// content checks text and blocks as chat.postMessage and chat.update do.
func content(req *request) (text string, blocks json.RawMessage, aerr *apiError) {
	text = req.str("text")
	if utf8.RuneCountInString(text) > MaxMessageText {
		return "", nil, &apiError{code: "msg_too_long"}
	}
	if raw, ok := req.args["blocks"]; ok {
		blocks = raw
		if !req.json {
			// Form requests carry blocks as a JSON string.
			var s string
			_ = json.Unmarshal(raw, &s)
			blocks = json.RawMessage(s)
		}
		if !json.Valid(blocks) {
			return "", nil, &apiError{code: "invalid_blocks_format", reason: "blocks is not valid JSON"}
		}
		if err := validateBlocks(blocks); err != nil {
			return "", nil, &apiError{code: "invalid_blocks", reason: err.Error()}
		}
		var n []json.RawMessage
		if json.Unmarshal(blocks, &n) == nil && len(n) == 0 {
			blocks = nil
		}
	}
	if strings.TrimSpace(text) == "" && blocks == nil && req.args["attachments"] == nil {
		return "", nil, &apiError{code: "no_text"}
	}
	return text, blocks, nil
}

func (s *Server) postMessage(req *request) (map[string]any, *apiError) {
	ch, ok := s.channel(req.str("channel"), true)
	if !ok {
		return nil, &apiError{code: "channel_not_found"}
	}
	if ch.NotMember {
		return nil, &apiError{code: "not_in_channel"}
	}
	text, blocks, aerr := content(req)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := &Message{Channel: ch.ID, TS: s.nextTS(), Text: text, Blocks: blocks}
	if tts := req.str("thread_ts"); tts != "" {
		// Replies thread on the top-level message; when the parent is gone
		// Slack posts the reply un-threaded, and so do we.
		if p := s.find(ch.ID, tts); p != nil {
			m.ThreadTS = p.TS
			if p.ThreadTS != "" {
				m.ThreadTS = p.ThreadTS
			}
		}
	}
	s.messages = append(s.messages, m)
	return map[string]any{"channel": ch.ID, "ts": m.TS, "message": messageJSON(m)}, nil
}

func (s *Server) update(req *request) (map[string]any, *apiError) {
	// chat.update needs the channel id; a name is channel_not_found.
	ch, ok := s.channel(req.str("channel"), false)
	if !ok {
		return nil, &apiError{code: "channel_not_found"}
	}
	if ch.NotMember {
		return nil, &apiError{code: "not_in_channel"}
	}
	ts := req.str("ts")
	if ts == "" {
		return nil, &apiError{code: "message_not_found"}
	}
	text, blocks, aerr := content(req)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.find(ch.ID, ts)
	if m == nil {
		return nil, &apiError{code: "message_not_found"}
	}
	if m.Webhook {
		// Messages from incoming webhooks cannot be edited through the API.
		return nil, &apiError{code: "cant_update_message"}
	}
	m.Text, m.Blocks = text, blocks
	m.Edits++
	s.updates = append(s.updates, *m)
	return map[string]any{"channel": ch.ID, "ts": m.TS, "text": m.Text, "message": messageJSON(m)}, nil
}

func messageJSON(m *Message) map[string]any {
	out := map[string]any{"type": "message", "text": m.Text, "ts": m.TS, "bot_id": "B0VIGIL", "user": "U0VIGIL"}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if m.Blocks != nil {
		out["blocks"] = m.Blocks
	}
	return out
}

// serveWebhook is an incoming webhook: JSON body, plain-text answers
// ("ok", or an error code with a 4xx status), fixed channel.
func (s *Server) serveWebhook(w http.ResponseWriter, r *http.Request) {
	if s.injected(w, "webhook", true) {
		return
	}
	status, code := http.StatusOK, "ok"
	var m *Message
	switch {
	case r.URL.Path != webhookPath:
		status, code = http.StatusNotFound, "no_service"
	case r.Method != http.MethodPost:
		status, code = http.StatusMethodNotAllowed, "invalid_request_method"
	default:
		m, status, code = s.webhookMessage(r)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	call := Call{Method: "webhook", Status: status}
	if status != http.StatusOK {
		call.Error = code
	} else {
		m.TS = s.nextTS()
		s.messages = append(s.messages, m)
	}
	s.calls = append(s.calls, call)
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, code)
}

func (s *Server) webhookMessage(r *http.Request) (*Message, int, string) {
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	if !strings.HasPrefix(ct, "application/json") {
		return nil, http.StatusBadRequest, "invalid_payload"
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || !utf8.Valid(body) {
		return nil, http.StatusBadRequest, "invalid_payload"
	}
	var args map[string]json.RawMessage
	if err := json.Unmarshal(body, &args); err != nil {
		return nil, http.StatusBadRequest, "invalid_payload"
	}
	req := &request{args: args, json: true}
	if _, ok := args["blocks"]; ok && string(args["blocks"]) == "null" {
		delete(req.args, "blocks")
	}
	text, blocks, aerr := content(req)
	if aerr != nil {
		if aerr.code == "invalid_blocks" || aerr.code == "invalid_blocks_format" {
			return nil, http.StatusBadRequest, "invalid_blocks"
		}
		return nil, http.StatusBadRequest, aerr.code
	}
	return &Message{Channel: s.channels[0].ID, Text: text, Blocks: blocks, Webhook: true, ThreadTS: req.str("thread_ts")}, http.StatusOK, "ok"
}
