package activities

import (
	"context"
	"fmt"

	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/store"
)

// Results writes results to the store; writes are idempotent by result id,
// so a retried activity never stores a result twice.
type Results struct {
	writer store.ResultWriter
}

// NewResults builds the store activities.
func NewResults(w store.ResultWriter) *Results { return &Results{writer: w} }

// StoreResults writes a batch of results.
func (s *Results) StoreResults(ctx context.Context, in contract.StoreResultsInput) error {
	if err := s.writer.WriteResults(ctx, in.Results); err != nil {
		ids := make([]string, len(in.Results))
		for i, r := range in.Results {
			ids[i] = r.ID
		}
		return fmt.Errorf("storing results %v: %w", ids, err)
	}
	return nil
}
