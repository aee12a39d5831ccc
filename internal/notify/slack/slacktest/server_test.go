package slacktest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func call(t *testing.T, s *Server, method, contentType, auth, body string) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+"chat.postMessage", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decode answer: %v", err)
	}
	return resp.StatusCode, out, resp.Header
}

func blocksJSON(blocks ...string) string { return "[" + strings.Join(blocks, ",") + "]" }

func header(text string) string {
	return fmt.Sprintf(`{"type":"header","text":{"type":"plain_text","text":%q}}`, text)
}

func section(text string) string {
	return fmt.Sprintf(`{"type":"section","text":{"type":"mrkdwn","text":%q}}`, text)
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestPostMessageRejections(t *testing.T) {
	bearer := "Bearer " + DefaultToken
	fields := func(n, size int) string {
		f := repeat(fmt.Sprintf(`{"type":"mrkdwn","text":%q}`, strings.Repeat("x", size)), n)
		return `{"type":"section","fields":[` + strings.Join(f, ",") + `]}`
	}
	button := func(text, u string) string {
		return fmt.Sprintf(`{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":%q},"url":%q}]}`, text, u)
	}
	jsonBody := func(blocks string) string { return `{"channel":"` + DefaultChannelID + `","blocks":` + blocks + `}` }
	const js = "application/json; charset=utf-8"
	tests := []struct {
		name        string
		method      string
		contentType string
		auth        string
		body        string
		wantErr     string // "" = accepted
		wantReason  string
	}{
		{name: "form with token field", contentType: "application/x-www-form-urlencoded", body: url.Values{"token": {DefaultToken}, "channel": {DefaultChannelID}, "text": {"hi"}}.Encode()},
		{name: "json with bearer", contentType: js, auth: bearer, body: `{"channel":"C0VIGIL01","text":"hi"}`},
		{name: "channel by name", contentType: js, auth: bearer, body: `{"channel":"#alerts","text":"hi"}`},
		{name: "GET", method: http.MethodGet, contentType: js, auth: bearer, body: `{}`, wantErr: "method_not_allowed"},
		{name: "no token", contentType: js, body: `{"channel":"C0VIGIL01","text":"hi"}`, wantErr: "not_authed"},
		{name: "token in json body is ignored", contentType: js, body: `{"token":"` + DefaultToken + `","channel":"C0VIGIL01","text":"hi"}`, wantErr: "not_authed"},
		{name: "wrong token", contentType: js, auth: "Bearer xoxb-nope", body: `{"channel":"C0VIGIL01","text":"hi"}`, wantErr: "invalid_auth"},
		{name: "not bearer", contentType: js, auth: "Basic abc", body: `{"channel":"C0VIGIL01","text":"hi"}`, wantErr: "invalid_auth"},
		{name: "text/plain", contentType: "text/plain", auth: bearer, body: `channel=C0VIGIL01&text=hi`, wantErr: "invalid_form_data"},
		{name: "no content type", auth: bearer, body: `{}`, wantErr: "invalid_form_data"},
		{name: "latin1", contentType: "application/json; charset=iso-8859-1", auth: bearer, body: `{}`, wantErr: "invalid_charset"},
		{name: "bad json", contentType: js, auth: bearer, body: `{"channel":`, wantErr: "invalid_json"},
		{name: "invalid utf-8", contentType: js, auth: bearer, body: "{\"channel\":\"C0VIGIL01\",\"text\":\"\xff\"}", wantErr: "invalid_form_data"},
		{name: "unknown channel", contentType: js, auth: bearer, body: `{"channel":"C0NOPE001","text":"hi"}`, wantErr: "channel_not_found"},
		{name: "missing channel", contentType: js, auth: bearer, body: `{"text":"hi"}`, wantErr: "channel_not_found"},
		{name: "no text", contentType: js, auth: bearer, body: `{"channel":"C0VIGIL01","text":"  "}`, wantErr: "no_text"},
		{name: "text too long", contentType: js, auth: bearer, body: `{"channel":"C0VIGIL01","text":"` + strings.Repeat("é", 40001) + `"}`, wantErr: "msg_too_long"},
		{name: "text at limit", contentType: js, auth: bearer, body: `{"channel":"C0VIGIL01","text":"` + strings.Repeat("é", 40000) + `"}`},
		{name: "blocks not json", contentType: "application/x-www-form-urlencoded", body: url.Values{"token": {DefaultToken}, "channel": {DefaultChannelID}, "blocks": {"[{"}}.Encode(), wantErr: "invalid_blocks_format"},
		{name: "51 blocks", contentType: js, auth: bearer, body: jsonBody(blocksJSON(repeat(`{"type":"divider"}`, 51)...)), wantErr: "invalid_blocks", wantReason: "at most 50"},
		{name: "50 blocks", contentType: js, auth: bearer, body: jsonBody(blocksJSON(repeat(`{"type":"divider"}`, 50)...))},
		{name: "unknown block type", contentType: js, auth: bearer, body: jsonBody(`[{"type":"carousel"}]`), wantErr: "invalid_blocks", wantReason: `/blocks/0/type`},
		{name: "header mrkdwn", contentType: js, auth: bearer, body: jsonBody(`[{"type":"header","text":{"type":"mrkdwn","text":"x"}}]`), wantErr: "invalid_blocks", wantReason: "must be plain_text"},
		{name: "header 151 chars", contentType: js, auth: bearer, body: jsonBody(blocksJSON(header(strings.Repeat("ü", 151)))), wantErr: "invalid_blocks", wantReason: "[json-pointer:/blocks/0/text/text]"},
		{name: "header 150 chars", contentType: js, auth: bearer, body: jsonBody(blocksJSON(header(strings.Repeat("ü", 150))))},
		{name: "empty text object", contentType: js, auth: bearer, body: jsonBody(blocksJSON(section(""))), wantErr: "invalid_blocks", wantReason: "more than 0"},
		{name: "section 3001 chars", contentType: js, auth: bearer, body: jsonBody(blocksJSON(section(strings.Repeat("x", 3001)))), wantErr: "invalid_blocks", wantReason: "less than 3001"},
		{name: "section without text or fields", contentType: js, auth: bearer, body: jsonBody(`[{"type":"section"}]`), wantErr: "invalid_blocks", wantReason: "text or fields"},
		{name: "mrkdwn with emoji", contentType: js, auth: bearer, body: jsonBody(`[{"type":"section","text":{"type":"mrkdwn","text":"x","emoji":true}}]`), wantErr: "invalid_blocks", wantReason: "emoji"},
		{name: "11 fields", contentType: js, auth: bearer, body: jsonBody(blocksJSON(fields(11, 1))), wantErr: "invalid_blocks", wantReason: "at most 10"},
		{name: "field 2001 chars", contentType: js, auth: bearer, body: jsonBody(blocksJSON(fields(1, 2001))), wantErr: "invalid_blocks", wantReason: "/blocks/0/fields/0/text"},
		{name: "11 context elements", contentType: js, auth: bearer, body: jsonBody(`[{"type":"context","elements":[` + strings.Join(repeat(`{"type":"mrkdwn","text":"x"}`, 11), ",") + `]}]`), wantErr: "invalid_blocks", wantReason: "at most 10"},
		{name: "26 buttons", contentType: js, auth: bearer, body: jsonBody(`[{"type":"actions","elements":[` + strings.Join(repeat(`{"type":"button","text":{"type":"plain_text","text":"x"}}`, 26), ",") + `]}]`), wantErr: "invalid_blocks", wantReason: "at most 25"},
		{name: "button text 76 chars", contentType: js, auth: bearer, body: jsonBody(blocksJSON(button(strings.Repeat("b", 76), "https://x"))), wantErr: "invalid_blocks", wantReason: "less than 76"},
		{name: "button url 3001 chars", contentType: js, auth: bearer, body: jsonBody(blocksJSON(button("b", "https://x/"+strings.Repeat("u", 2991)))), wantErr: "invalid_blocks", wantReason: "/url"},
		{name: "duplicate action_id", contentType: js, auth: bearer, body: jsonBody(`[{"type":"actions","elements":[{"type":"button","action_id":"a","text":{"type":"plain_text","text":"x"}},{"type":"button","action_id":"a","text":{"type":"plain_text","text":"y"}}]}]`), wantErr: "invalid_blocks", wantReason: "duplicate action_id"},
		{name: "block_id 256 chars", contentType: js, auth: bearer, body: jsonBody(`[{"type":"divider","block_id":"` + strings.Repeat("i", 256) + `"}]`), wantErr: "invalid_blocks", wantReason: "block_id"},
		{name: "duplicate block_id", contentType: js, auth: bearer, body: jsonBody(`[{"type":"divider","block_id":"a"},{"type":"divider","block_id":"a"}]`), wantErr: "invalid_blocks", wantReason: "duplicate block_id"},
		{name: "image without alt_text", contentType: js, auth: bearer, body: jsonBody(`[{"type":"image","image_url":"https://x/i.png"}]`), wantErr: "invalid_blocks", wantReason: "alt_text"},
		{name: "rich_text without elements", contentType: js, auth: bearer, body: jsonBody(`[{"type":"rich_text"}]`), wantErr: "invalid_blocks", wantReason: "elements"},
		{name: "blocks only", contentType: js, auth: bearer, body: jsonBody(blocksJSON(header("h"), section("s"), `{"type":"divider"}`))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(t)
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			status, out, _ := call(t, s, method, tt.contentType, tt.auth, tt.body)
			if status != http.StatusOK {
				t.Fatalf("HTTP %d, want 200 (Slack answers API errors with 200)", status)
			}
			if tt.wantErr == "" {
				if out["ok"] != true {
					t.Fatalf("answer %v, want ok", out)
				}
				if len(s.Messages()) != 1 {
					t.Fatalf("recorded %d messages, want 1", len(s.Messages()))
				}
				return
			}
			if out["ok"] != false || out["error"] != tt.wantErr {
				t.Fatalf("answer %v, want error %q", out, tt.wantErr)
			}
			if !strings.Contains(s.LastCall().Reason, tt.wantReason) {
				t.Errorf("reason %q, want it to contain %q", s.LastCall().Reason, tt.wantReason)
			}
			if tt.wantReason != "" {
				msgs := out["response_metadata"].(map[string]any)["messages"].([]any)
				if !strings.HasPrefix(msgs[0].(string), "[ERROR] ") {
					t.Errorf("response_metadata.messages = %v, want Slack's [ERROR] format", msgs)
				}
			}
			if len(s.Messages()) != 0 {
				t.Fatalf("rejected request recorded a message")
			}
		})
	}
}

func TestNotMember(t *testing.T) {
	s := New(t, WithChannels(Channel{ID: "C0PRIVATE1", Name: "private", NotMember: true}))
	_, out, _ := call(t, s, http.MethodPost, "application/json; charset=utf-8", "Bearer "+DefaultToken, `{"channel":"C0PRIVATE1","text":"hi"}`)
	if out["error"] != "not_in_channel" {
		t.Fatalf("answer %v, want not_in_channel", out)
	}
}

func TestMissingCharsetWarns(t *testing.T) {
	s := New(t)
	_, out, _ := call(t, s, http.MethodPost, "application/json", "Bearer "+DefaultToken, `{"channel":"C0VIGIL01","text":"hi"}`)
	if out["ok"] != true || out["warning"] != "missing_charset" {
		t.Fatalf("answer %v, want ok with missing_charset warning", out)
	}
}

func TestRateLimitAndFailures(t *testing.T) {
	s := New(t)
	s.RateLimitNext(2, 7)
	for i := range 2 {
		status, out, h := call(t, s, http.MethodPost, "application/json; charset=utf-8", "Bearer "+DefaultToken, `{"channel":"C0VIGIL01","text":"hi"}`)
		if status != http.StatusTooManyRequests || h.Get("Retry-After") != "7" || out["error"] != "ratelimited" {
			t.Fatalf("request %d: HTTP %d Retry-After %q %v, want 429 / 7 / ratelimited", i, status, h.Get("Retry-After"), out)
		}
	}
	s.FailNext(1, "internal_error")
	if _, out, _ := call(t, s, http.MethodPost, "application/json; charset=utf-8", "Bearer "+DefaultToken, `{"channel":"C0VIGIL01","text":"hi"}`); out["error"] != "internal_error" {
		t.Fatalf("answer %v, want internal_error", out)
	}
	if status, out, _ := call(t, s, http.MethodPost, "application/json; charset=utf-8", "Bearer "+DefaultToken, `{"channel":"C0VIGIL01","text":"hi"}`); status != 200 || out["ok"] != true {
		t.Fatalf("after the scripted failures: HTTP %d %v, want ok", status, out)
	}
	if got := len(s.Calls()); got != 4 {
		t.Fatalf("recorded %d calls, want 4", got)
	}
}

func form(s *Server, method string, v url.Values) (map[string]any, error) {
	v.Set("token", s.Token())
	resp, err := http.PostForm(s.URL()+method, v)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	return out, json.NewDecoder(resp.Body).Decode(&out)
}

func TestThreadsUpdatesAndTS(t *testing.T) {
	s := New(t)
	out, err := form(s, "chat.postMessage", url.Values{"channel": {"#alerts"}, "text": {"parent"}})
	if err != nil {
		t.Fatal(err)
	}
	ts := out["ts"].(string)
	if ts != "1700000000.000100" || out["channel"] != DefaultChannelID {
		t.Fatalf("answer %v, want ts 1700000000.000100 in %s", out, DefaultChannelID)
	}
	out, _ = form(s, "chat.postMessage", url.Values{"channel": {DefaultChannelID}, "text": {"reply"}, "thread_ts": {ts}})
	if out["message"].(map[string]any)["thread_ts"] != ts {
		t.Fatalf("reply answer %v, want thread_ts %s", out, ts)
	}
	if r := s.Replies(DefaultChannelID, ts); len(r) != 1 || r[0].Text != "reply" {
		t.Fatalf("replies = %+v", r)
	}
	// chat.update: by id only, existing ts only.
	tests := []struct {
		name string
		args url.Values
		want string
	}{
		{name: "by name", args: url.Values{"channel": {"#alerts"}, "ts": {ts}, "text": {"x"}}, want: "channel_not_found"},
		{name: "unknown ts", args: url.Values{"channel": {DefaultChannelID}, "ts": {"1.000001"}, "text": {"x"}}, want: "message_not_found"},
		{name: "no ts", args: url.Values{"channel": {DefaultChannelID}, "text": {"x"}}, want: "message_not_found"},
		{name: "no text", args: url.Values{"channel": {DefaultChannelID}, "ts": {ts}}, want: "no_text"},
		{name: "ok", args: url.Values{"channel": {DefaultChannelID}, "ts": {ts}, "text": {"edited"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := form(s, "chat.update", tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if out["ok"] != true {
					t.Fatalf("answer %v, want ok", out)
				}
				return
			}
			if out["error"] != tt.want {
				t.Fatalf("answer %v, want %s", out, tt.want)
			}
		})
	}
	if m, _ := s.Message(DefaultChannelID, ts); m.Text != "edited" || m.Edits != 1 {
		t.Fatalf("message = %+v, want edited once", m)
	}
	// Replies to a deleted parent are posted un-threaded, as Slack does.
	s.DeleteMessage(DefaultChannelID, ts)
	out, _ = form(s, "chat.postMessage", url.Values{"channel": {DefaultChannelID}, "text": {"orphan"}, "thread_ts": {ts}})
	if _, ok := out["message"].(map[string]any)["thread_ts"]; ok {
		t.Fatalf("orphan reply answer %v, want no thread_ts", out)
	}
	if out, _ := form(s, "auth.test", url.Values{}); out["ok"] != true || out["bot_id"] == nil {
		t.Fatalf("auth.test = %v", out)
	}
	if out, _ := form(s, "chat.delete", url.Values{}); out["error"] != "unknown_method" {
		t.Fatalf("chat.delete = %v, want unknown_method", out)
	}
}

func TestWebhook(t *testing.T) {
	tests := []struct {
		name        string
		url         func(*Server) string
		contentType string
		body        string
		wantStatus  int
		wantBody    string
	}{
		{name: "ok", contentType: "application/json", body: `{"text":"hi"}`, wantStatus: 200, wantBody: "ok"},
		{name: "blocks", contentType: "application/json", body: `{"blocks":[{"type":"divider"}]}`, wantStatus: 200, wantBody: "ok"},
		{name: "wrong path", url: func(s *Server) string { return s.WebhookURL() + "x" }, contentType: "application/json", body: `{"text":"hi"}`, wantStatus: 404, wantBody: "no_service"},
		{name: "not json", contentType: "text/plain", body: `hi`, wantStatus: 400, wantBody: "invalid_payload"},
		{name: "bad json", contentType: "application/json", body: `{`, wantStatus: 400, wantBody: "invalid_payload"},
		{name: "no text", contentType: "application/json", body: `{}`, wantStatus: 400, wantBody: "no_text"},
		{name: "bad blocks", contentType: "application/json", body: `{"blocks":[{"type":"header","text":{"type":"mrkdwn","text":"x"}}]}`, wantStatus: 400, wantBody: "invalid_blocks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(t)
			u := s.WebhookURL()
			if tt.url != nil {
				u = tt.url(s)
			}
			resp, err := http.Post(u, tt.contentType, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus || string(body) != tt.wantBody {
				t.Fatalf("HTTP %d %q, want %d %q", resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
			want := 0
			if tt.wantStatus == http.StatusOK {
				want = 1
			}
			if len(s.Messages()) != want {
				t.Fatalf("recorded %d messages, want %d", len(s.Messages()), want)
			}
		})
	}
}
