package web

import (
	"context"

	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/runtrace"
)

// resolveTraces fills in the backend spans of the run's traces as stored
// now, when the results store also reads spans (the embedded store does).
// Spans arrive after the run, so this is done at read time; a failure is
// said in the run, the run is served anyway.
func (s *server) resolveTraces(ctx context.Context, run *result.Result) {
	sp, ok := s.d.Results.(runtrace.Spans)
	if !ok {
		return
	}
	if err := runtrace.Resolve(ctx, sp, run); err != nil {
		run.Vigil.TraceError = err.Error()
		s.log.Warn("resolving the traces of a run failed", "run", run.ID, "error", err)
	}
}
