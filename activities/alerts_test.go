package activities

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/vigil-dev/vigil/internal/alert"
	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/store/sqlite"
	"github.com/vigil-dev/vigil/internal/store/storetest"
)

// signals records what EvaluateRules asked of Temporal.
type signals struct {
	mu      sync.Mutex
	started []contract.AlertSignal
	inputs  []contract.IncidentInput
	ids     []string
	cleared []string
}

func (s *signals) SignalWithStartWorkflow(_ context.Context, id, _ string, arg any, _ client.StartWorkflowOptions, _ any, args ...any) (client.WorkflowRun, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids = append(s.ids, id)
	s.started = append(s.started, arg.(contract.AlertSignal))
	s.inputs = append(s.inputs, args[0].(contract.IncidentInput))
	return nil, nil
}

func (s *signals) SignalWorkflow(_ context.Context, id, _, _ string, arg any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cleared = append(s.cleared, id)
	return nil
}

const rulesYAML = `channels:
  - {name: oncall, type: webhook, url: "https://hooks.example.com/x"}
rules:
  - name: shop-down
    kind: consecutive_failures
    monitors: [shop]
    threshold: 2
    channels: [oncall]
`

func downResult(id string, at time.Time, traceID string) result.Result {
	return result.Result{ID: id, Timestamp: at,
		Monitor:  result.Monitor{ID: "shop", Type: "http", Status: result.StatusDown},
		Observer: result.Observer{Name: "local", Geo: result.Geo{Name: "local"}},
		Error:    &result.Error{Type: "assertion", Message: "status was 503"},
		Trace:    &result.Trace{ID: traceID},
		Steps: []result.Step{{Synthetics: result.StepSynthetics{Step: result.StepInfo{Index: 1, Name: "checkout", Status: result.StatusDown}},
			Assertions: []result.Assertion{{Expression: "status == 200", Message: "status was 503"}}}},
		Vigil: result.Vigil{Confirmed: true, Commit: "abc123", WorkflowID: "vigil-run/shop", RunID: "r1"},
	}
}

// TestEvaluateRulesSignalsFiringGroupsWithTheSlowestSpan evaluates a rule
// over a real store: the firing group's incident is signal-started with the
// evidence of the newest failing run and the slowest backend span of its
// trace, and an open incident whose group no longer fires is told so.
func TestEvaluateRulesSignalsFiringGroupsWithTheSlowestSpan(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	require.NoError(t, err)
	defer st.Close()
	now := time.Now().UTC()
	set, errs := alert.Parse("alerts/shop.yaml", []byte(rulesYAML))
	require.Empty(t, errs)
	require.NoError(t, st.PutCatalog(ctx, store.Catalog{Commit: "abc123", Alerts: set,
		Monitors: []store.CatalogMonitor{{Monitor: mon("shop", "shop.yaml", time.Minute)}}}))
	const trace = "4bf92f3577b34da6a3ce929d0e0e4736"
	require.NoError(t, st.WriteResults(ctx, []result.Result{
		downResult("r-1", now.Add(-2*time.Minute), "0af7651916cd43dd8448eb211c80319c"),
		downResult("r-2", now.Add(-time.Minute), trace),
	}))
	fast := storetest.NewSpan("s-fast", "cart", now.Add(-time.Minute))
	fast.Trace.ID, fast.Span.Duration.US = trace, 3_000
	slow := storetest.NewSpan("s-slow", "payments", now.Add(-time.Minute))
	slow.Trace.ID, slow.Span.Name, slow.Span.Duration.US = trace, "POST /charge", 2_310_000
	require.NoError(t, st.WriteSpans(ctx, []span.Span{fast, slow}))
	stale := storetest.NewIncident("vigil-incident/old@1", "gone-rule", now.Add(-time.Hour))
	stale.WorkflowID = "vigil-incident/old"
	require.NoError(t, st.PutIncident(ctx, stale))

	sig := &signals{}
	a := NewAlerts(st, sig, AlertLinks{RunBaseURL: "http://vigil"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	out, err := a.EvaluateRules(ctx, contract.EvaluateInput{ReopenWindow: time.Minute})
	require.NoError(t, err)
	require.Equal(t, contract.EvaluateOutput{Rules: 1, Groups: 1, Firing: 1, Cleared: 1}, out)

	require.Len(t, sig.started, 1)
	ev := sig.started[0].Evidence
	require.Equal(t, "r-2", ev["result_id"])
	require.Equal(t, "checkout", ev["step"])
	require.Equal(t, "status == 200 (status was 503)", ev["assertion"])
	require.Equal(t, "abc123", ev["commit"])
	require.Equal(t, "payments", ev["span_service"])
	require.Equal(t, "POST /charge", ev["span_name"])
	require.Equal(t, "2310000", ev["span_duration_us"])
	require.Equal(t, slow.Span.ID, ev["span_id"])
	require.Equal(t, trace, ev["span_trace_id"])
	require.Equal(t, trace, ev["trace_ids"])
	require.Equal(t, contract.IncidentWorkflowID(sig.inputs[0].Key), sig.ids[0])
	require.Equal(t, []string{"oncall"}, sig.inputs[0].Channels)
	require.Equal(t, []string{"vigil-incident/old"}, sig.cleared)
}

// TestEvaluateRulesSignalsChangesOnly: an open incident already told its
// group fires is not signalled again at the next evaluation; a change is.
func TestEvaluateRulesSignalsChangesOnly(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	require.NoError(t, err)
	defer st.Close()
	now := time.Now().UTC()
	set, errs := alert.Parse("alerts/shop.yaml", []byte(rulesYAML))
	require.Empty(t, errs)
	require.NoError(t, st.PutCatalog(ctx, store.Catalog{Commit: "c", Alerts: set,
		Monitors: []store.CatalogMonitor{{Monitor: mon("shop", "shop.yaml", time.Minute)}}}))
	require.NoError(t, st.WriteResults(ctx, []result.Result{
		downResult("r-1", now.Add(-2*time.Minute), ""), downResult("r-2", now.Add(-time.Minute), ""),
	}))
	sig := &signals{}
	a := NewAlerts(st, sig, AlertLinks{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	_, err = a.EvaluateRules(ctx, contract.EvaluateInput{})
	require.NoError(t, err)
	require.Len(t, sig.started, 1)
	open := storetest.NewIncident("x@1", "shop-down", now)
	open.Key, open.WorkflowID = sig.inputs[0].Key, sig.ids[0]
	require.NoError(t, st.PutIncident(ctx, open))

	out, err := a.EvaluateRules(ctx, contract.EvaluateInput{})
	require.NoError(t, err)
	require.Equal(t, 1, out.Firing)
	require.Len(t, sig.started, 1, "still firing: no new signal")

	require.NoError(t, st.WriteResults(ctx, []result.Result{{ID: "r-3", Timestamp: now, Monitor: result.Monitor{ID: "shop", Status: result.StatusUp},
		Observer: result.Observer{Name: "local", Geo: result.Geo{Name: "local"}}}}))
	out, err = a.EvaluateRules(ctx, contract.EvaluateInput{})
	require.NoError(t, err)
	require.Equal(t, 1, out.Cleared)
	out, err = a.EvaluateRules(ctx, contract.EvaluateInput{})
	require.NoError(t, err)
	require.Zero(t, out.Cleared, "cleared once, not at every evaluation")
	require.Equal(t, []string{sig.ids[0]}, sig.cleared)
}
