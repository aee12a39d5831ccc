package redact

import (
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHeader(t *testing.T) {
	r := MustNew(Default())
	for _, tc := range []struct {
		name, value, want, rule string
	}{
		{"Authorization", "Basic dXNlcjpwYXNz", Placeholder, "header:authorization"},
		{"proxy-authorization", "x", Placeholder, "header:proxy-authorization"},
		{"Cookie", "a=b", Placeholder, "header:cookie"},
		{"SET-COOKIE", "a=b", Placeholder, "header:set-cookie"},
		{"X-Api-Key", "k", Placeholder, "header:x-api-key"},
		{"Api-Key", "k", Placeholder, "header:api-key"},
		{"X-Auth-Token", "k", Placeholder, "header:x-auth-token"},
		{"X-Amz-Security-Token", "k", Placeholder, "header:x-amz-security-token"},
		{"X-Goog-Api-Key", "k", Placeholder, "header:x-goog-api-key"},
		{"X-CSRF-Token", "k", Placeholder, "header:sensitive-name"},
		{"X-Client-Secret", "k", Placeholder, "header:sensitive-name"},
		{"X-My-ApiKey", "k", Placeholder, "header:sensitive-name"},
		{"X-Db-Password", "k", Placeholder, "header:sensitive-name"},
		{"Content-Type", "application/json", "application/json", ""},
		{"X-Forwarded-Auth", "Bearer abc", "Bearer [REDACTED]", "pattern:bearer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := r.Counts()
			out, keep := r.Header(tc.name, tc.value)
			require.True(t, keep)
			require.Equal(t, tc.want, out)
			if tc.rule != "" {
				require.Equal(t, before[tc.rule]+1, r.Counts()[tc.rule])
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	r := MustNew(Config{Headers: []FieldRule{{Name: "Cookie", Action: ActionDrop}, {Pattern: "^x-trace-", Action: ActionKeep}}})
	h := http.Header{}
	h.Add("Authorization", "Bearer a")
	h.Add("Cookie", "s=1")
	h.Add("Set-Cookie", "a=1")
	h.Add("Set-Cookie", "b=2")
	h.Add("Accept", "*/*")
	h.Add("X-Note", "card 4111111111111111")
	h.Add("X-Trace-Token", "t1") // kept by the configured rule despite "token"
	r.Headers(h)
	require.Equal(t, http.Header{
		"Authorization": {Placeholder},
		"Set-Cookie":    {Placeholder, Placeholder},
		"Accept":        {"*/*"},
		"X-Note":        {"card [REDACTED]"},
		"X-Trace-Token": {"t1"},
	}, h)
	c := r.Counts()
	require.EqualValues(t, 1, c["header:cookie"])
	require.EqualValues(t, 2, c["header:set-cookie"])
}

func TestAttributes(t *testing.T) {
	r := MustNew(Default())
	attrs := map[string]any{
		"http.request.header.authorization":   []string{"Bearer a", "Bearer b"},
		"http.response.header.set-cookie":     "s=1",
		"rpc.grpc.request.metadata.x-api-key": "k",
		"http.request.header.accept":          []any{"*/*"},
		"url.full":                            "https://u:p@h/p?token=t&a=1",
		"http.target":                         "/p?code=c",
		"url.query":                           "sig=s&b=2",
		"enduser.password":                    "p",
		"app.client_secret":                   42,
		"db.statement":                        "SELECT * FROM c WHERE n='4111111111111111'",
		"http.request.body":                   `{"password":"p","a":1}`,
		"gen_ai.usage.input_tokens":           int64(12),
		"nested":                              map[string]any{"token": "t", "l": []any{"Bearer x", 1}},
	}
	r.Attributes(attrs)
	require.Equal(t, map[string]any{
		"http.request.header.authorization":   []string{Placeholder, Placeholder},
		"http.response.header.set-cookie":     Placeholder,
		"rpc.grpc.request.metadata.x-api-key": Placeholder,
		"http.request.header.accept":          []any{"*/*"},
		"url.full":                            "https://REDACTED:REDACTED@h/p?token=[REDACTED]&a=1",
		"http.target":                         "/p?code=[REDACTED]",
		"url.query":                           "sig=[REDACTED]&b=2",
		"enduser.password":                    Placeholder,
		"app.client_secret":                   Placeholder,
		"db.statement":                        "SELECT * FROM c WHERE n='[REDACTED]'",
		"http.request.body":                   `{"password":"[REDACTED]","a":1}`,
		"gen_ai.usage.input_tokens":           int64(12),
		"nested":                              map[string]any{"token": Placeholder, "l": []any{"Bearer [REDACTED]", 1}},
	}, attrs)
}

func TestConcurrentCounts(t *testing.T) {
	r := MustNew(Default())
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				r.Header("Authorization", "x")
				r.Text("4111111111111111")
				_ = r.Counts()
			}
		}()
	}
	wg.Wait()
	c := r.Counts()
	require.EqualValues(t, 8000, c["header:authorization"])
	require.EqualValues(t, 8000, c["pattern:credit_card"])
}
