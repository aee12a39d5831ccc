package activities

import (
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/store"
)

func mon(id, file string, every time.Duration) monitor.Monitor {
	return monitor.Monitor{ID: id, Type: monitor.TypeHTTP, Schedule: monitor.Schedule{Every: monitor.Duration(every)},
		Source: monitor.Source{File: file, Line: 1}}
}

func TestMergeCatalog(t *testing.T) {
	prev := store.Catalog{Commit: "c1", Monitors: []store.CatalogMonitor{
		{Monitor: mon("a", "a.yaml", time.Minute), Commit: "c1"},
		{Monitor: mon("b", "b.yaml", time.Minute), Commit: "c1"},
		{Monitor: mon("gone", "gone.yaml", time.Minute), Commit: "c1"},
	}}
	paused := mon("b", "b.yaml", time.Minute)
	paused.Paused = true
	tests := []struct {
		name        string
		valid       []monitor.Monitor
		errs        []monitor.ValidationError
		wantIDs     map[string]string // id -> commit
		wantStale   []string
		wantRemoved []string
	}{
		{
			name:        "unchanged definitions keep the commit they came from",
			valid:       []monitor.Monitor{mon("a", "a.yaml", time.Minute), mon("b", "b.yaml", time.Minute)},
			wantIDs:     map[string]string{"a": "c1", "b": "c1"},
			wantRemoved: []string{"gone"},
		},
		{
			name:        "a changed definition takes the new commit",
			valid:       []monitor.Monitor{mon("a", "a.yaml", 2*time.Minute), mon("b", "b.yaml", time.Minute)},
			wantIDs:     map[string]string{"a": "c2", "b": "c1"},
			wantRemoved: []string{"gone"},
		},
		{
			name:        "pausing is not a definition change",
			valid:       []monitor.Monitor{mon("a", "a.yaml", time.Minute), paused},
			wantIDs:     map[string]string{"a": "c1", "b": "c1"},
			wantRemoved: []string{"gone"},
		},
		{
			name:        "an invalid file keeps its last valid monitor, stale",
			valid:       []monitor.Monitor{mon("b", "b.yaml", time.Minute)},
			errs:        []monitor.ValidationError{{File: "a.yaml", Line: 3, Column: 5, Message: "bad"}},
			wantIDs:     map[string]string{"a": "c1", "b": "c1"},
			wantStale:   []string{"a"},
			wantRemoved: []string{"gone"},
		},
		{
			name:        "a monitor moved to an invalid file is kept by its id",
			valid:       []monitor.Monitor{mon("b", "b.yaml", time.Minute)},
			errs:        []monitor.ValidationError{{File: "moved.yaml", MonitorID: "a", Message: "bad"}},
			wantIDs:     map[string]string{"a": "c1", "b": "c1"},
			wantStale:   []string{"a"},
			wantRemoved: []string{"gone"},
		},
		{
			name:        "a removed file removes its monitor",
			valid:       []monitor.Monitor{mon("b", "b.yaml", time.Minute)},
			wantIDs:     map[string]string{"b": "c1"},
			wantRemoved: []string{"a", "gone"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := mergeCatalog(prev, tt.valid, tt.errs, "c2", time.Now())
			got := map[string]string{}
			var stale []string
			for _, cm := range next.Monitors {
				got[cm.Monitor.ID] = cm.Commit
				if cm.Stale {
					stale = append(stale, cm.Monitor.ID)
				}
			}
			if len(got) != len(tt.wantIDs) {
				t.Fatalf("monitors in force: got %v, want %v", got, tt.wantIDs)
			}
			for id, c := range tt.wantIDs {
				if got[id] != c {
					t.Errorf("monitor %s pinned at %q, want %q", id, got[id], c)
				}
			}
			if len(stale) != len(tt.wantStale) || (len(stale) > 0 && stale[0] != tt.wantStale[0]) {
				t.Errorf("stale: got %v, want %v", stale, tt.wantStale)
			}
			removed := removedIDs(prev, next)
			if len(removed) != len(tt.wantRemoved) {
				t.Fatalf("removed: got %v, want %v", removed, tt.wantRemoved)
			}
			for i := range removed {
				if removed[i] != tt.wantRemoved[i] {
					t.Errorf("removed: got %v, want %v", removed, tt.wantRemoved)
				}
			}
			if next.Commit != "c2" || len(next.Errors) != len(tt.errs) {
				t.Errorf("catalog commit %q errors %d", next.Commit, len(next.Errors))
			}
		})
	}
}

func TestSpreadOffset(t *testing.T) {
	every := time.Minute
	seen := map[time.Duration]bool{}
	for _, id := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		o := spreadOffset(id, every)
		if o < 0 || o >= every {
			t.Fatalf("offset %s of %s outside [0, %s)", o, id, every)
		}
		if o != spreadOffset(id, every) {
			t.Fatalf("offset of %s is not stable", id)
		}
		seen[o] = true
	}
	if len(seen) < 6 {
		t.Fatalf("offsets are not spread: %v", seen)
	}
	if spreadOffset("a", time.Second) != 0 {
		t.Fatal("sub-2s intervals are not offset")
	}
}

// TestMergeCatalogKeepsSince: a monitor's first sync time survives later
// syncs and changes of its definition; a new monitor starts now.
func TestMergeCatalogKeepsSince(t *testing.T) {
	first := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	prev := store.Catalog{Commit: "c1", Monitors: []store.CatalogMonitor{{Monitor: mon("a", "a.yaml", time.Minute), Commit: "c1", Since: first}}}
	now := first.Add(time.Hour)
	next := mergeCatalog(prev, []monitor.Monitor{mon("a", "a.yaml", 2*time.Minute), mon("b", "b.yaml", time.Minute)}, nil, "c2", now)
	since := map[string]time.Time{}
	for _, cm := range next.Monitors {
		since[cm.Monitor.ID] = cm.Since
	}
	if !since["a"].Equal(first) || !since["b"].Equal(now) {
		t.Fatalf("since = %v, want a at %v and b at %v", since, first, now)
	}
}
