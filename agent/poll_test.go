package agent

import (
	"testing"
	"time"
)

func TestNextWait(t *testing.T) {
	const flush, batch = 50 * time.Millisecond, time.Second
	for _, c := range []struct {
		name string
		wait time.Duration
		busy bool
		want time.Duration
	}{
		{"events came: back to the flush interval", 800 * time.Millisecond, true, flush},
		{"idle: the wait doubles", flush, false, 100 * time.Millisecond},
		{"idle: up to the batch interval", 800 * time.Millisecond, false, batch},
		{"idle at the batch interval: stays", batch, false, batch},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := nextWait(c.wait, c.busy, flush, batch); got != c.want {
				t.Errorf("nextWait(%s, busy=%v) = %s, want %s", c.wait, c.busy, got, c.want)
			}
		})
	}
	if got := nextWait(flush, false, flush, flush/2); got != flush {
		t.Errorf("a batch interval under the flush interval: idle wait %s, want the flush interval %s", got, flush)
	}
}
