package alert

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/monitor"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	}
	return root
}

// TestExample loads the example repository and evaluates it.
func TestExample(t *testing.T) {
	set, errs := LoadDir("testdata")
	require.Empty(t, errs)
	require.Len(t, set.Rules, 9)
	require.Len(t, set.Channels, 2)
	assert.Equal(t, "alerts/checkout.yaml", set.Rules[0].Source.File)
	assert.Equal(t, 2000.0, set.Rules[2].Above)

	monitors := []monitor.Monitor{mon("checkout", time.Minute, "prod"), mon("checkout-browser", 5*time.Minute, "prod")}
	assert.Empty(t, ValidateAgainst(set, monitors))
	assert.Len(t, ValidateAgainst(set, monitors[:1]), 3, "checkout-browser is named by three rules")

	hdr := map[string]string{"Cache-Control": "public, max-age=60"}
	rs := results(
		res("checkout", "eu-west", 1*m).down("io", "timeout").step("pay", false, 3*time.Second, hdr),
		res("checkout", "eu-west", 2*m).down("io", "timeout").step("pay", false, 3*time.Second, hdr),
		res("checkout", "eu-west", 3*m).down("io", "timeout").step("pay", false, 3*time.Second, hdr),
		res("checkout-browser", "eu-west", 2*m).browser(3100, 0.01, "js.stripe.com", "pixel.tracker.io"),
	)
	alerts, rerrs := Evaluate(set.Rules, Data{Now: t0, Results: rs, Monitors: monitors,
		LastSpan: map[string]time.Time{"payments-api": t0.Add(-time.Minute)}})
	require.Empty(t, rerrs)
	// checkout-flaky needs 5 results in its window, and has 3
	firing := map[string]bool{}
	for _, a := range alerts {
		if a.Firing {
			firing[a.Rule] = true
		}
	}
	assert.Equal(t, map[string]bool{"checkout-down": true, "checkout-slow-payment": true,
		"checkout-lcp": true, "checkout-new-errors": true, "checkout-third-parties": true, "checkout-no-cache": true}, firing)
}

func TestLoadDir(t *testing.T) {
	root := writeFiles(t, map[string]string{
		"alerts/channels.yaml":    channelsYAML,
		"alerts/team/a/rules.yml": "rules:\n  - name: a\n    kind: consecutive_failures\n    threshold: 3\n    channels: [oncall]\n",
		"alerts/team/dup.yaml":    "rules:\n  - name: a\n    kind: consecutive_failures\n    threshold: 1\n",
		"alerts/.hidden/x.yaml":   "broken: [\n",
		"alerts/README.md":        "# rules\n",
		"checkout.yaml":           "id: checkout\n",
		"other/alerts/rules.yaml": "not: rules\n",
	})
	set, errs := LoadDir(root)
	require.Len(t, set.Rules, 1)
	assert.Equal(t, "alerts/team/a/rules.yml", set.Rules[0].Source.File)
	assert.Equal(t, []string{`alerts/team/dup.yaml:2:11: duplicate rule name "a": already defined at alerts/team/a/rules.yml:2`}, errorStrings(errs))

	set, errs = LoadDir(t.TempDir())
	assert.Empty(t, errs, "no alerts directory is no rules")
	assert.Empty(t, set.Rules)
}
