package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/store"
)

func testCatalog(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, err := s.GetCatalog(ctx)
	require.ErrorIs(t, err, store.ErrNotFound, "before the first put")

	first := newCatalog("aaaa", Base)
	require.NoError(t, s.PutCatalog(ctx, first))
	got, err := s.GetCatalog(ctx)
	require.NoError(t, err)
	require.Equal(t, first, got)

	second := newCatalog("bbbb", Base.Add(10*time.Second))
	second.Monitors = second.Monitors[:1]
	second.Errors = nil
	second.FetchError = "fetching origin: connection refused"
	require.NoError(t, s.PutCatalog(ctx, second))
	got, err = s.GetCatalog(ctx)
	require.NoError(t, err)
	require.Equal(t, second, got, "a second put replaces the first")
}

func newCatalog(commit string, syncedAt time.Time) store.Catalog {
	return store.Catalog{
		Source:   "https://git.example/monitors.git",
		Branch:   "main",
		Commit:   commit,
		SyncedAt: syncedAt,
		Monitors: []store.CatalogMonitor{
			{Commit: commit, Monitor: monitor.Monitor{
				ID:       "shop",
				Name:     "Shop checkout",
				Type:     monitor.TypeHTTP,
				Schedule: monitor.Schedule{Every: monitor.Duration(30 * time.Second)},
				Retries:  2,
				Tags:     []string{"team:shop"},
				Labels:   map[string]string{"env": "prod"},
				Steps: []monitor.Step{{
					Name:    "home",
					Request: monitor.Request{Method: "GET", URL: "https://shop.example/", Headers: map[string]string{"Accept": "text/html"}},
					Assert:  []string{"status == 200"},
				}},
				Source: monitor.Source{File: "shop.yaml", Line: 1},
			}},
			{Commit: "older", Stale: true, Monitor: monitor.Monitor{
				ID:       "dns",
				Type:     monitor.TypeDNS,
				Schedule: monitor.Schedule{Cron: "*/5 * * * *"},
				DNS:      &monitor.DNSCheck{Name: "shop.example", Type: "A"},
				Source:   monitor.Source{File: "dns.yaml", Line: 3},
			}},
		},
		Errors: []monitor.ValidationError{{File: "dns.yaml", Line: 4, Column: 7, MonitorID: "dns", Message: "unknown field"}},
	}
}
