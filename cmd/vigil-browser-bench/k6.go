package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// k6Script is the example login journey written for k6's browser module,
// the peer the issue names as the baseline.
const k6Script = `import { browser } from 'k6/browser';

export const options = {
  scenarios: { ui: { executor: 'shared-iterations', vus: 1, iterations: Number(__ENV.RUNS),
    options: { browser: { type: 'chromium' } } } },
};

export default async function () {
  const page = await browser.newPage();
  try {
    await page.goto(__ENV.URL);
    const title = await page.title();
    if (title !== 'Vigil Demo Shop') throw new Error('title ' + title);
    await page.locator('#user').type('demo');
    await page.locator('#password').type(__ENV.PASSWORD);
    await page.locator('#login-button').click();
    await page.waitForFunction(() => document.querySelector('#login-status').textContent.includes('Logged in'));
    await page.screenshot({ path: __ENV.SHOT });
  } finally {
    await page.close();
  }
}
`

// k6Result is what one k6 run measured.
type k6Result struct {
	medianIteration time.Duration
	peakPSS         int64
}

// runK6 runs the journey n times in k6 with the given chromium, sampling
// the PSS of the browser tree meanwhile.
func runK6(k6, chromium, url, password string, n int) (k6Result, error) {
	dir, err := os.MkdirTemp("", "vigil-k6-")
	if err != nil {
		return k6Result{}, err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "journey.js")
	summary := filepath.Join(dir, "summary.json")
	if err := os.WriteFile(script, []byte(k6Script), 0o644); err != nil {
		return k6Result{}, err
	}
	cmd := exec.Command(k6, "run", "--quiet", "--summary-export", summary, script)
	cmd.Env = append(os.Environ(),
		"URL="+url, "PASSWORD="+password, fmt.Sprintf("RUNS=%d", n), "SHOT="+filepath.Join(dir, "shot.png"),
		"K6_BROWSER_EXECUTABLE_PATH="+chromium,
		"K6_BROWSER_HEADLESS=true",
		"K6_BROWSER_ARGS=no-sandbox,disable-gpu,disable-quic,disable-background-networking,disable-component-update,disable-sync,no-first-run",
	)
	sampler := startPSSSampler()
	out, err := cmd.CombinedOutput()
	peak := sampler.stop()
	if err != nil {
		return k6Result{}, fmt.Errorf("k6: %v: %s", err, out)
	}
	var s struct {
		Metrics map[string]map[string]float64 `json:"metrics"`
	}
	data, err := os.ReadFile(summary)
	if err != nil {
		return k6Result{}, fmt.Errorf("reading k6's summary: %w", err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return k6Result{}, fmt.Errorf("k6's summary: %w", err)
	}
	it, iters := s.Metrics["iteration_duration"], s.Metrics["iterations"]
	if it == nil || iters == nil || iters["count"] < float64(n) {
		return k6Result{}, fmt.Errorf("k6 completed %v of %d iterations: %s", iters["count"], n, out)
	}
	return k6Result{medianIteration: time.Duration(it["med"] * float64(time.Millisecond)), peakPSS: peak}, nil
}
