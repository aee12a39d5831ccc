package redact

import (
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestURL(t *testing.T) {
	r := MustNew(Default())
	for _, tc := range []struct {
		name, in, want string
	}{
		{"clean", "https://example.com/a/b?x=1&y=2#top", ""},
		{"token", "https://example.com/cb?token=abc&x=1", "https://example.com/cb?token=[REDACTED]&x=1"},
		{"order and bytes kept", "/p?z=%41&access_token=a%20b&b=&c=d", "/p?z=%41&access_token=[REDACTED]&b=&c=d"},
		{"case-insensitive", "/p?API_KEY=1&Sig=2", "/p?API_KEY=[REDACTED]&Sig=[REDACTED]"},
		{"repeated", "/p?code=1&code=2", "/p?code=[REDACTED]&code=[REDACTED]"},
		{"no value", "/p?token&token=", ""},
		{"encoded name", "/p?Api%5Fkey=x&api%2Dkey=y", "/p?Api%5Fkey=[REDACTED]&api%2Dkey=[REDACTED]"},
		{"separator-insensitive name", "/p?accessToken=x", "/p?accessToken=[REDACTED]"},
		{"name pattern", "/p?db_password=x&mysecretthing=y", "/p?db_password=[REDACTED]&mysecretthing=[REDACTED]"},
		{"aws presigned", "https://b.s3.amazonaws.com/k?X-Amz-Credential=AK%2F1&X-Amz-Signature=ff&X-Amz-Expires=60",
			"https://b.s3.amazonaws.com/k?X-Amz-Credential=[REDACTED]&X-Amz-Signature=[REDACTED]&X-Amz-Expires=60"},
		{"fragment query", "https://app/cb#access_token=x&state=s", "https://app/cb#access_token=[REDACTED]&state=s"},
		{"fragment text", "https://app/p#4111111111111111", "https://app/p#[REDACTED]"},
		{"query in fragment only", "/p#?token=x", "/p#?token=[REDACTED]"},
		{"spa route in fragment", "/#/cb?code=x&y=1", "/#/cb?code=[REDACTED]&y=1"},
		{"userinfo", "https://user:pass@host:8443/p?q=1", "https://REDACTED:REDACTED@host:8443/p?q=1"},
		{"userinfo user only", "https://ghp_abc@github.com/o/r.git", "https://REDACTED@github.com/o/r.git"},
		{"userinfo with @ in password", "http://u:p@ss@host/", "http://REDACTED:REDACTED@host/"},
		{"scheme-relative", "//u:p@host/x", "//REDACTED:REDACTED@host/x"},
		{"@ in path is not userinfo", "https://host/@me/x", ""},
		{"card in path", "/cards/4111111111111111/charge", "/cards/[REDACTED]/charge"},
		{"encoded card in path", "/cards/4111%201111%201111%201111/x", "/cards/[REDACTED]/x"},
		{"jwt in path", "/s/eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.abc", "/s/[REDACTED]"},
		{"card in value", "/p?n=4111111111111111", "/p?n=[REDACTED]"},
		{"encoded bearer in value", "/p?h=Bearer%20abc&x=1", "/p?h=Bearer%20[REDACTED]&x=1"},
		{"plus is space", "/p?h=Bearer+abc", "/p?h=Bearer%20[REDACTED]"},
		{"scheme inside a path", "/a/https://u:p@h/x", ""},
		{"scheme-relative path keeps its userinfo rule", "//u@h/x?tok%65n=1", "//REDACTED@h/x?tok%65n=[REDACTED]"},
		{"escaped name, plain value", "/geo?q=berlin&%74oken=s3cr3t", "/geo?q=berlin&%74oken=[REDACTED]"},
		{"plus in name", "/p?access+token=x&a+b=c", ""},
		{"bare query", "token=a/b&x=1", "token=[REDACTED]&x=1"},
		{"bare path", "/a=b/token=c", ""},
		{"empty", "", ""},
		{"only question mark", "?", ""},
		{"opaque", "mailto:bob@example.com", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want
			if want == "" {
				want = tc.in
			}
			got := r.URL(tc.in)
			require.Equal(t, want, got)
			if _, err := url.Parse(tc.in); err == nil {
				_, err := url.Parse(got)
				require.NoError(t, err)
			}
		})
	}
}

func TestQueryDrop(t *testing.T) {
	r := MustNew(Config{QueryParams: []FieldRule{{Name: "token", Action: ActionDrop}, {Name: "sig", Action: ActionDrop}}})
	for _, tc := range []struct{ in, want string }{
		{"token=1&a=2", "a=2"},
		{"a=2&token=1", "a=2"},
		{"a=1&token=1&b=2", "a=1&b=2"},
		{"token=1&sig=2&a=3", "a=3"},
		{"a=1&token=1&sig=2", "a=1"},
		{"token=1&sig=2", ""},
		{"token", ""},
		{"a&&token=1", "a&"},
	} {
		t.Run(tc.in, func(t *testing.T) { require.Equal(t, tc.want, r.Query(tc.in)) })
	}
	require.EqualValues(t, 8, r.Counts()["query:token"])
	require.Equal(t, "https://h/p?a=1#f", r.URL("https://h/p?token=x&a=1#f"))
}

func TestQueryNoAllocWhenClean(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	r := MustNew(Default())
	// Escaped values are decoded to look for encoded secrets: that allocates.
	for _, s := range []string{"a=1&b=2&c=hello", "https://example.com/api/v1/users?page=2&limit=50#x"} {
		require.Zero(t, testing.AllocsPerRun(100, func() { r.URL(s) }), s)
	}
}

// TestURLPlainShortcut holds URL and Query, which skip the value patterns
// for a text they cannot change, to a redactor that never skips them (a
// configured pattern that matches nothing turns the shortcut off): same
// output, same counts.
func TestURLPlainShortcut(t *testing.T) {
	never := Default()
	never.Patterns = []PatternRule{{Name: "never", Regexp: "\x00never\x00"}}
	fast, slow := MustNew(Default()), MustNew(never)
	parts := []string{"/api", "/orders/12", "/x%2Fy", "?", "&", "=", "#", "token", "api_key", "page", "2",
		"expand=items", "Bearer abc", "bearer%20t0k", "4111111111111111", "eyJhbGciOi.eyJzdWIi.sig",
		"AKIAABCDEFGHIJKLMNOP", "user:pw@", "https://", "h.example", "a+b", "%zz", "secret_access_key=x", "@"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b strings.Builder
		for range 1 + rng.IntN(8) {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		u := b.String()
		require.Equal(t, slow.URL(u), fast.URL(u), u)
		require.Equal(t, slow.Query(u), fast.Query(u), u)
	}
	want := slow.Counts()
	delete(want, "pattern:never")
	require.Equal(t, want, fast.Counts())
}
