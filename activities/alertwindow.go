package activities

import (
	"context"
	"sync"
	"time"

	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/store"
)

// lateMargin is how late a result may be stored after its @timestamp (a
// retried store activity) and still be seen by the next evaluation.
const lateMargin = 2 * time.Minute

// resultWindow keeps the results of the rules' lookback between
// evaluations on this worker, so that each evaluation reads only what was
// stored since the previous one: reading the whole lookback every 10 s cost
// seconds with a thousand monitors. Any worker may run an evaluation; one
// that holds nothing yet reads the whole lookback once.
type resultWindow struct {
	mu     sync.Mutex
	byID   map[string]result.Result
	from   time.Time // nothing older than this is held
	readTo time.Time // the previous read's now
}

func (w *resultWindow) results(ctx context.Context, st store.ResultReader, now, since time.Time) ([]result.Result, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	readFrom := since
	if w.byID != nil && !since.Before(w.from) && now.After(w.readTo) {
		if from := w.readTo.Add(-lateMargin); from.After(since) {
			readFrom = from
		}
	} else {
		w.byID = map[string]result.Result{}
	}
	fresh, err := st.ListResults(ctx, store.ResultQuery{Since: readFrom, Limit: maxResults})
	if err != nil {
		w.byID = nil // start over next time
		return nil, err
	}
	for _, r := range fresh {
		w.byID[r.ID] = r
	}
	for id, r := range w.byID {
		if r.Timestamp.Before(since) {
			delete(w.byID, id)
		}
	}
	w.from, w.readTo = since, now
	out := make([]result.Result, 0, len(w.byID))
	for _, r := range w.byID {
		out = append(out, r)
	}
	return out, nil
}
