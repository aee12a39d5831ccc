package browser

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestBrowserProcessesCleanedUp(t *testing.T) {
	srv := testServer(t)
	tests := []struct {
		name      string
		kill      bool
		wantInfra bool
	}{
		{"normal run", false, false},
		{"process group killed mid-run", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := newTestRunner(t)
			var dir string
			r.onStart = func(pid int, d string) {
				dir = d
				if tt.kill {
					time.AfterFunc(700*time.Millisecond, func() { _ = syscall.Kill(-pid, syscall.SIGKILL) })
				}
			}
			steps := []Step{{Action: ActionGoto, URL: srv.URL + "/login"}}
			if tt.kill {
				steps = append(steps, Step{Action: ActionWaitFor, Selector: "#never", Timeout: 10 * time.Second})
			}
			begin := time.Now()
			res, err := r.Run(context.Background(), Journey{Steps: steps})
			if got := IsInfrastructure(err); got != tt.wantInfra || (err == nil) == tt.wantInfra {
				t.Fatalf("err = %v (kind %s), want infrastructure=%v", err, res.ErrorKind, tt.wantInfra)
			}
			if tt.kill && time.Since(begin) > 5*time.Second {
				t.Errorf("crash detected only after %s", time.Since(begin))
			}
			if dir == "" {
				t.Fatal("onStart not called")
			}
			if pids := ProcessesUsing(dir); len(pids) > 0 {
				t.Errorf("chromium processes survive: %v", pids)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("user data dir %s not removed: %v", dir, err)
			}
		})
	}
}
