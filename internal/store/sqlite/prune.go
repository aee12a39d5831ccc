package sqlite

import (
	"context"
	"time"
)

// defaultPruneChunk bounds each delete so a large prune does not hold the
// write lock (and stall writes) for long.
const defaultPruneChunk = 5000

// Prune deletes the results, traces and spans whose @timestamp (a trace's
// start) is before the given time and returns how many it deleted.
func (s *Store) Prune(ctx context.Context, before time.Time) (int64, error) {
	total, err := s.pruneTable(ctx, "results", before)
	if err != nil {
		return total, err
	}
	n, err := s.pruneTable(ctx, "traces", before)
	total += n
	if err != nil {
		return total, err
	}
	n, err = s.pruneSpans(ctx, before)
	return s.pruneIncidentsAfter(ctx, before, total+n, err)
}

func (s *Store) pruneTable(ctx context.Context, table string, before time.Time) (int64, error) {
	var total int64
	for {
		res, err := s.writer.ExecContext(ctx, `DELETE FROM `+table+` WHERE rowid IN (
			SELECT rowid FROM `+table+` WHERE ts < ? LIMIT ?)`, before.UnixMicro(), s.pruneChunk)
		if err != nil {
			return total, s.describe(err, "deleting %s before %s (%d deleted so far)", table, before.UTC().Format(time.RFC3339), total)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, s.describe(err, "counting deleted %s", table)
		}
		total += n
		if n < int64(s.pruneChunk) {
			return total, nil
		}
	}
}

// startPruner runs Prune every PruneInterval while the store is open, when a
// retention is set.
func (s *Store) startPruner() {
	if s.opts.Retention <= 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stopPruner = cancel
	s.prunerDone = make(chan struct{})
	go func() {
		defer close(s.prunerDone)
		ticker := time.NewTicker(s.opts.PruneInterval)
		defer ticker.Stop()
		for {
			s.pruneExpired(ctx)
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
		}
	}()
}

// pruneExpired applies the retention once; failures are logged and retried
// at the next tick, since nothing is waiting on it.
func (s *Store) pruneExpired(ctx context.Context) {
	before := s.opts.Now().Add(-s.opts.Retention)
	n, err := s.Prune(ctx, before)
	if err != nil {
		if ctx.Err() == nil {
			s.log.WarnContext(ctx, "pruning expired results and spans failed", "error", err)
		}
		return
	}
	if n > 0 {
		s.log.InfoContext(ctx, "pruned expired results and spans", "deleted", n, "before", before.UTC())
	}
}
