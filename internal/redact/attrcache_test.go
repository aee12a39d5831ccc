package redact

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/span"
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

// TestConcurrentRemembering runs Span on goroutines at once, with clean
// values that get remembered and values with secrets alternating under
// the same keys and names: every secret is redacted and counted.
func TestConcurrentRemembering(t *testing.T) {
	r := MustNew(Default())
	const workers, rounds = 4, 500
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				secret := (i+w)%2 == 0
				q, note, name := "a=1", "plain", "GET /a"
				if secret {
					q, note, name = "token=t0k3n", "Bearer abc", "GET /a?token=t0k3n"
				}
				sp := span.Span{Span: span.Info{Name: name}, OTel: &span.OTel{
					Attributes: map[string]any{"url.query": q, "note": note}}}
				r.Span(&sp)
				if strings.Contains(fmt.Sprint(sp.Span.Name, sp.OTel.Attributes), "t0k3n") ||
					strings.Contains(fmt.Sprint(sp.OTel.Attributes), "abc") {
					t.Errorf("secret kept: %q %v", sp.Span.Name, sp.OTel.Attributes)
					return
				}
			}
		}()
	}
	wg.Wait()
	c := r.Counts()
	require.EqualValues(t, workers*rounds, c["query:token"])
	require.EqualValues(t, workers*rounds/2, c["pattern:bearer"])
}
