package activities

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/store"
)

// Results writes results to the store; writes are idempotent by result id,
// so a retried activity never stores a result twice.
type Results struct {
	writer store.ResultWriter
	onDown func(ctx context.Context) error
	log    *slog.Logger
}

// NewResults builds the store activities.
func NewResults(w store.ResultWriter) *Results { return &Results{writer: w, log: slog.Default()} }

// OnDown sets what runs after a down result is stored: the listener
// evaluates the rules at once instead of at its next scheduled evaluation,
// so a failure pages within seconds. A failure of f is only logged: the
// schedule evaluates anyway.
func (s *Results) OnDown(f func(ctx context.Context) error, log *slog.Logger) {
	s.onDown, s.log = f, log.With("component", "results")
}

// StoreResults writes a batch of results.
func (s *Results) StoreResults(ctx context.Context, in contract.StoreResultsInput) error {
	if err := s.writer.WriteResults(ctx, in.Results); err != nil {
		ids := make([]string, len(in.Results))
		for i, r := range in.Results {
			ids[i] = r.ID
		}
		return fmt.Errorf("storing results %v: %w", ids, err)
	}
	if s.onDown != nil && slices.ContainsFunc(in.Results, func(r result.Result) bool { return !r.Up() }) {
		if err := s.onDown(ctx); err != nil {
			s.log.Warn("triggering an alert evaluation after a failure failed; the schedule will evaluate", "error", err)
		}
	}
	return nil
}
