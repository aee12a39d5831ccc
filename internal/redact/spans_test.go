package redact

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/span"
)

// TestSpanSentinel puts a sentinel secret everywhere a span can carry one and
// requires it gone from the span's stored form.
func TestSpanSentinel(t *testing.T) {
	const secret = "s3ntinel-Secr3t-42"
	r := MustNew(Default())
	sp := span.Span{
		ID: "x", Timestamp: time.Now(),
		Span: span.Info{Name: "GET /login?password=" + secret, Kind: span.KindServer},
		HTTP: &span.HTTP{Request: span.HTTPRequest{Method: "GET", Path: "/cb?code=" + secret + "&state=ok", Host: "user:" + secret + "@api.example.com"}},
		OTel: &span.OTel{
			Attributes: map[string]any{
				"http.request.header.authorization": "Bearer " + secret,
				"url.full":                          "https://api.example.com/x?api_key=" + secret,
				"db.statement":                      "select 1 -- Bearer " + secret,
				"nested":                            map[string]any{"password": secret},
			},
			Resource: map[string]any{"deploy.token": secret},
			Events:   []span.SpanEvent{{Name: "exception", Attributes: map[string]any{"exception.message": "login failed, Authorization: Bearer " + secret}}},
			Links:    []span.Link{{TraceID: "t", SpanID: "s", Attributes: map[string]any{"client_secret": secret}}},
			Status:   &span.Status{Code: "error", Message: "token Bearer " + secret + " refused"},
		},
	}
	r.Span(&sp)
	doc, err := json.Marshal(&sp)
	require.NoError(t, err)
	require.NotContains(t, string(doc), secret)
	require.Equal(t, "GET /login?password=[REDACTED]", sp.Span.Name)
	require.Equal(t, "/cb?code=[REDACTED]&state=ok", sp.HTTP.Request.Path)
	require.Positive(t, r.Counts()["query:password"])
}

func TestURLText(t *testing.T) {
	r := MustNew(Default())
	for in, want := range map[string]string{
		"GET /a?token=x":                  "GET /a?token=[REDACTED]",
		"POST https://h/p?sig=y":          "POST https://h/p?sig=[REDACTED]",
		"/only?secret=z":                  "/only?secret=[REDACTED]",
		"SELECT orders":                   "SELECT orders",
		"charge card 4111 1111 1111 1111": "charge card [REDACTED]",
	} {
		require.Equal(t, want, r.URLText(in), in)
		require.False(t, strings.Contains(r.URLText(in), "4111 1111"))
	}
}

// TestSpanNamesRemembered checks that remembering clean span names
// changes nothing: names with secrets are redacted and counted every
// time, clean ones kept.
func TestSpanNamesRemembered(t *testing.T) {
	r := MustNew(Default())
	for i := range 3 {
		for _, name := range []string{"GET /api/orders/{id}", "GET /login?password=x", "GET /api/orders/{id}", "SELECT orders"} {
			sp := span.Span{Span: span.Info{Name: name}}
			r.Span(&sp)
			if strings.Contains(name, "password") {
				require.Equal(t, "GET /login?password=[REDACTED]", sp.Span.Name)
				continue
			}
			require.Equal(t, name, sp.Span.Name)
		}
		require.Equal(t, uint64(i+1), r.Counts()["query:password"])
	}
}
