package redact

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSentinelNeverEscapes puts one secret in every place an input hands
// over and checks that it appears in no output, counter name included.
func TestSentinelNeverEscapes(t *testing.T) {
	const secret = "s3ntinel-Secr3t-42"
	r := MustNew(Default())
	var outs []string

	for _, name := range []string{"Authorization", "Cookie", "X-Api-Key", "X-Some-Token", "X-Secret"} {
		out, _ := r.Header(name, secret)
		outs = append(outs, out)
	}
	h := http.Header{"Authorization": {"Bearer " + secret}, "X-Forwarded": {"Bearer " + secret}}
	r.Headers(h)
	outs = append(outs, fmt.Sprint(h))

	for _, u := range []string{
		"https://h/p?token=" + secret,
		"https://h/p?a=1&access_token=" + secret + "#x",
		"/cb#access_token=" + secret,
		"https://user:" + secret + "@h/",
		"https://" + secret + "@h/",
		"api_key=" + secret,
		"/p?Api%5Fkey=" + secret,
		"/p?h=Bearer%20" + secret,
	} {
		outs = append(outs, r.URL(u))
	}
	outs = append(outs, r.Query("x-amz-signature="+secret))

	for _, body := range []string{
		`{"password":"` + secret + `"}`,
		`{"a":[{"b":{"client_secret":"` + secret + `"}}]}`,
		`{"auth":"Bearer ` + secret + `"}`,
		`{"truncated": "Bearer ` + secret, // not valid JSON: value patterns
	} {
		outs = append(outs, string(r.JSON([]byte(body))))
	}
	outs = append(outs, r.Text("Authorization: Bearer "+secret))

	attrs := map[string]any{
		"http.request.header.authorization": secret,
		"url.full":                          "https://h/?token=" + secret,
		"enduser.password":                  secret,
		"http.request.body":                 `{"token":"` + secret + `"}`,
	}
	r.Attributes(attrs)
	outs = append(outs, fmt.Sprint(attrs))
	outs = append(outs, r.RuleNames()...)
	outs = append(outs, fmt.Sprint(r.Counts()))

	for i, o := range outs {
		require.NotContains(t, o, secret, "output %d", i)
	}
}
