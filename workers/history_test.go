package workers_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/vigil-dev/vigil/internal/gittest"
)

// historyJSON exports a workflow's history as the Temporal CLI and UI do.
func historyJSON(t *testing.T, e *env, workflowID, runID string) string {
	t.Helper()
	it := e.client.GetWorkflowHistory(context.Background(), workflowID, runID, false, 0)
	var h historypb.History
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("reading history of %s: %v", workflowID, err)
		}
		h.Events = append(h.Events, ev)
	}
	b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&h)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// writeHistoryFixture refreshes the history the replay test of package
// workflows checks, when VIGIL_UPDATE_HISTORY=1.
func writeHistoryFixture(t *testing.T, history string) {
	if os.Getenv("VIGIL_UPDATE_HISTORY") != "1" {
		return
	}
	path := filepath.Join("..", "workflows", "testdata", "monitor_run_history.json")
	if err := os.WriteFile(path, []byte(history), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}

func newRepoWith(t *testing.T, file, content string) string {
	repo := gittest.NewRepo(t)
	repo.WriteFile(file, content)
	repo.Commit("add " + file)
	return repo.FileURL()
}
