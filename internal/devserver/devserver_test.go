package devserver

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// A restart on the same file keeps the namespace and its schedules.
func TestRestartKeepsSchedules(t *testing.T) {
	db := filepath.Join(t.TempDir(), "temporal.db")
	opts := Options{UIPort: -1, DatabaseFile: db, Namespace: "default",
		SearchAttributes: map[string]enumspb.IndexedValueType{"VigilMonitorId": enumspb.INDEXED_VALUE_TYPE_KEYWORD},
		Logger:           slog.New(slog.DiscardHandler)}
	ctx := context.Background()

	srv, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, srv)
	_, err = c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:     "vigil-monitor/kept",
		Spec:   client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: time.Hour}}},
		Action: &client.ScheduleWorkflowAction{Workflow: "MonitorRun", TaskQueue: "q"},
	})
	if err != nil {
		t.Fatalf("creating schedule: %v", err)
	}
	c.Close()
	srv.Stop()

	if b, err := os.ReadFile(db + ".shards"); err != nil || strings.TrimSpace(string(b)) != "4" {
		t.Fatalf("shard count must be recorded beside a new database: %q, %v", b, err)
	}
	opts.HistoryShards = 8 // ignored: the file keeps its own count
	srv, err = Start(ctx, opts)
	if err != nil {
		t.Fatalf("restarting on the same file: %v", err)
	}
	defer srv.Stop()
	c = dial(t, srv)
	defer c.Close()
	d, err := c.ScheduleClient().GetHandle(ctx, "vigil-monitor/kept").Describe(ctx)
	if err != nil {
		t.Fatalf("the schedule did not survive the restart: %v", err)
	}
	if d.Schedule.Spec.Intervals[0].Every != time.Hour {
		t.Fatalf("schedule changed across restart: %+v", d.Schedule.Spec)
	}
}

func TestHistoryShards(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "old.db")
	if err := os.WriteFile(existing, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.db")
	_ = os.WriteFile(bad, []byte("x"), 0o644)
	_ = os.WriteFile(bad+".shards", []byte("many"), 0o644)
	tests := []struct {
		name    string
		o       Options
		want    int32
		wantErr string
	}{
		{"in memory", Options{HistoryShards: 2}, 2, ""},
		{"in memory default", Options{}, DefaultHistoryShards, ""},
		{"new file", Options{DatabaseFile: filepath.Join(dir, "new.db"), HistoryShards: 3}, 3, ""},
		{"file from before the count was recorded", Options{DatabaseFile: existing, HistoryShards: 4}, 1, ""},
		{"unreadable count", Options{DatabaseFile: bad}, 0, "not a positive number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := historyShards(tt.o)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("want error %q, got %v", tt.wantErr, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}

func dial(t *testing.T, srv *Server) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: srv.FrontendAddr(), Namespace: srv.Namespace()})
	if err != nil {
		t.Fatalf("dialing the embedded server: %v", err)
	}
	return c
}
