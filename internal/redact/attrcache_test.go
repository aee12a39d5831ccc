package redact

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAttributesPastKeyCache checks that keys seen after the per-key cache
// is full are still matched: the cache saves work, it decides nothing.
func TestAttributesPastKeyCache(t *testing.T) {
	r := MustNew(Default())
	for i := range maxCachedKeys + 50 {
		attrs := map[string]any{
			fmt.Sprintf("app.k%d", i):          "plain",
			fmt.Sprintf("app.k%d.password", i): "hunter2",
			"url.full":                         "https://a.example/x?token=t0k3n",
		}
		r.Attributes(attrs)
		require.Equal(t, "plain", attrs[fmt.Sprintf("app.k%d", i)])
		require.Equal(t, Placeholder, attrs[fmt.Sprintf("app.k%d.password", i)], "key %d", i)
		require.Equal(t, "https://a.example/x?token="+Placeholder, attrs["url.full"])
	}
	require.LessOrEqual(t, r.attrKinds.len(), maxCachedKeys)
}

// TestAttributeJSONAfterWhiteSpace checks the JSON detection of string
// values: leading white space of any of the four kinds, then { or [.
func TestAttributeJSONAfterWhiteSpace(t *testing.T) {
	r := MustNew(Default())
	for _, lead := range []string{"", " ", "\t", "\r\n", " \n\t "} {
		attrs := map[string]any{
			"body":  lead + `{"password":"hunter2"}`,
			"list":  lead + `[{"secret":"s"}]`,
			"blank": lead,
		}
		r.Attributes(attrs)
		require.NotContains(t, attrs["body"], "hunter2", "lead %q", lead)
		require.NotContains(t, attrs["list"], `"s"`, "lead %q", lead)
		require.Equal(t, lead, attrs["blank"])
	}
}

// TestAttributesRememberOnlyClean checks the per-key memory of clean
// values: a value that was redacted, or counted without changing, is
// redacted and counted every time; a remembered one stays as it is.
func TestAttributesRememberOnlyClean(t *testing.T) {
	r := MustNew(Default())
	for range 3 {
		attrs := map[string]any{"url.query": "a=1", "note": "plain"}
		r.Attributes(attrs)
		require.Equal(t, map[string]any{"url.query": "a=1", "note": "plain"}, attrs)
	}
	for i := range 3 {
		// already redacted: unchanged, yet counted as a redaction
		attrs := map[string]any{"url.query": "token=" + Placeholder, "note": "Bearer abc"}
		r.Attributes(attrs)
		require.Equal(t, "token="+Placeholder, attrs["url.query"])
		require.Equal(t, "Bearer "+Placeholder, attrs["note"])
		require.Equal(t, uint64(i+1), r.Counts()["query:token"])
		require.Equal(t, uint64(i+1), r.Counts()["pattern:bearer"])
	}
	attrs := map[string]any{"url.query": "a=1", "note": "plain"}
	r.Attributes(attrs)
	require.Equal(t, map[string]any{"url.query": "a=1", "note": "plain"}, attrs)
}
