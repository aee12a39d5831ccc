package browser

import (
	"context"
	"testing"
	"time"
)

// TestTiming logs cold start and first navigation cost for the report.
func TestTiming(t *testing.T) {
	r, _ := newTestRunner(t)
	srv := testServer(t)
	var started time.Duration
	begin := time.Now()
	r.onStart = func(int, string) { started = time.Since(begin) }
	res, err := r.Run(context.Background(), Journey{Steps: []Step{{Action: ActionGoto, URL: srv.URL + "/login"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("browser ready %s, first goto done %s, Run total incl. teardown %s",
		started, started+res.Steps[0].Duration, time.Since(begin))
}
