package redact

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/result"
)

func TestResultSentinel(t *testing.T) {
	const secret = "s3ntinel-Secr3t-42"
	r := MustNew(Default())
	res := result.Result{
		URL:   &result.URL{Full: "https://shop.example/cb?code=" + secret, Path: "/cb?code=" + secret},
		Error: &result.Error{Type: "assertion", Message: "got Bearer " + secret},
		Steps: []result.Step{{
			URL:        &result.URL{Full: "https://shop.example/login?token=" + secret},
			Assertions: []result.Assertion{{Expression: "status == 200", Message: "body had Bearer " + secret}},
			Details:    map[string]any{"password": secret},
			HTTP: &result.HTTP{Response: result.HTTPResponse{
				Headers:  map[string]string{"Set-Cookie": "session=" + secret, "Content-Type": "application/json"},
				Body:     result.Body{Content: `{"user":"ann","access_token":"` + secret + `"}`},
				MimeType: "application/json",
			}},
		}},
		Browser: &result.Browser{
			Console: []result.ConsoleMessage{{Text: "token Bearer " + secret, URL: "https://cdn.example/app.js?sig=" + secret}},
			Failed:  []result.FailedRequest{{URL: "https://api.example/x?api_key=" + secret}},
		},
	}
	r.Result(&res)
	doc, err := json.Marshal(res)
	require.NoError(t, err)
	require.NotContains(t, string(doc), secret)
	require.Equal(t, "application/json", res.Steps[0].HTTP.Response.Headers["Content-Type"], "harmless headers are kept")
	require.Contains(t, res.Steps[0].HTTP.Response.Body.Content, `"user":"ann"`)
}
