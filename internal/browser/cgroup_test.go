package browser

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// TestLimitsAreEnforced runs a journey in its own cgroup: the result names
// the limits in force and the peak memory the cgroup charged the browser,
// and the cgroup is gone afterwards.
func TestLimitsAreEnforced(t *testing.T) {
	path := DefaultChromiumPath()
	if path == "" {
		t.Skip("chromium not installed")
	}
	if os.Geteuid() != 0 {
		t.Skip("creating cgroups needs root")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("<title>ok</title><h1>limited</h1>"))
	}))
	defer srv.Close()
	const mem = 1 << 30
	r := NewRunner(Options{ChromiumPath: path, Limits: Limits{CPUs: 1, MemoryBytes: mem}})
	res, err := r.Run(context.Background(), Journey{Name: "limited", Steps: []Step{{Action: ActionGoto, URL: srv.URL}}})
	if err != nil {
		t.Fatal(err)
	}
	l := res.Limits
	if l.Cgroup == "" {
		t.Skipf("no cgroup could be created here: %s", l.Reason)
	}
	if l.CPUs != 1 || l.MemoryBytes != mem {
		t.Errorf("limits in force %+v", l)
	}
	if l.PeakMemoryBytes < 10<<20 || l.PeakMemoryBytes > mem {
		t.Errorf("peak memory charged to the run's cgroup = %d bytes: the browser did not run inside it", l.PeakMemoryBytes)
	}
	leftovers, _ := filepath.Glob(filepath.Join(cgroupRoot, "*", "vigil-browser", "vigil-browser-*"))
	v2, _ := filepath.Glob(filepath.Join(cgroupRoot, "vigil-browser", "vigil-browser-*"))
	if len(leftovers)+len(v2) > 0 {
		t.Errorf("cgroups left behind: %v %v", leftovers, v2)
	}
}

func TestNoLimitsSaysWhy(t *testing.T) {
	if DefaultChromiumPath() == "" {
		t.Skip("chromium not installed")
	}
	r := NewRunner(Options{})
	res, _ := r.Run(context.Background(), Journey{Name: "free", Steps: []Step{{Action: ActionEval, Name: "x", Script: "1+1"}}})
	if res.Limits.Cgroup != "" || res.Limits.Reason == "" {
		t.Errorf("limits %+v: want none, with the reason", res.Limits)
	}
}
