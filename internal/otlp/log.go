package otlp

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// logEvery is how often one reason may be logged: a misbehaving sender
// retrying fast must not flood the log.
const logEvery = 10 * time.Second

// logLimiter allows one log line per reason per logEvery and counts the
// lines it held back, so the next line can say how many.
type logLimiter struct {
	log        *slog.Logger
	now        func() time.Time
	mu         sync.Mutex
	last       map[Reason]time.Time
	suppressed map[Reason]int
}

func newLogLimiter(log *slog.Logger, now func() time.Time) *logLimiter {
	return &logLimiter{log: log, now: now, last: map[Reason]time.Time{}, suppressed: map[Reason]int{}}
}

// logf logs msg for reason unless one was logged less than logEvery ago.
// Callers never pass attribute values or body excerpts: they may carry
// secrets.
func (l *logLimiter) logf(level slog.Level, reason Reason, msg string, args ...any) {
	now := l.now()
	l.mu.Lock()
	if last, ok := l.last[reason]; ok && now.Sub(last) < logEvery {
		l.suppressed[reason]++
		l.mu.Unlock()
		return
	}
	l.last[reason] = now
	held := l.suppressed[reason]
	l.suppressed[reason] = 0
	l.mu.Unlock()
	args = append(args, "reason", string(reason))
	if held > 0 {
		args = append(args, "suppressed", held)
	}
	l.log.Log(context.Background(), level, msg, args...)
}
