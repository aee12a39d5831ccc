// Package store declares what vigil keeps: check results, the monitor
// catalog (what the last sync found in git) and spans. Backends live in sub-packages
// and all pass the contract suite in store/storetest.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/span"
)

// ErrNotFound is returned by readers when the document does not exist.
var ErrNotFound = errors.New("not found")

// ResultWriter stores results. Writing a result whose ID is already stored is
// a no-op that returns no error: writes are idempotent.
type ResultWriter interface {
	WriteResults(ctx context.Context, results []result.Result) error
}

// ResultQuery filters results; zero values mean "any".
type ResultQuery struct {
	MonitorID string
	Status    string // result.StatusUp or result.StatusDown
	Location  string
	Since     time.Time // inclusive, on @timestamp
	Until     time.Time // exclusive, on @timestamp
	Limit     int       // 0 means 100
}

// ResultReader reads results, newest @timestamp first.
type ResultReader interface {
	GetResult(ctx context.Context, id string) (result.Result, error)
	ListResults(ctx context.Context, q ResultQuery) ([]result.Result, error)
	// LatestResults returns the newest result of each monitor, by monitor id.
	LatestResults(ctx context.Context) (map[string]result.Result, error)
}

// Catalog is what the last sync of the monitors repository found.
type Catalog struct {
	Source   string    `json:"source"` // repository URL or path
	Branch   string    `json:"branch,omitempty"`
	Commit   string    `json:"commit"`
	SyncedAt time.Time `json:"synced_at"`
	// Monitors are the definitions in force: the valid ones of this commit,
	// plus the last valid version of a monitor whose file is now invalid.
	Monitors []CatalogMonitor `json:"monitors"`
	// Errors are the validation errors of this commit.
	Errors []monitor.ValidationError `json:"errors,omitempty"`
	// FetchError is set when the repository could not be fetched; the
	// monitors of the previous sync stay in force.
	FetchError string `json:"fetch_error,omitempty"`
}

// CatalogMonitor is a monitor in force and the commit it was taken from.
type CatalogMonitor struct {
	Monitor monitor.Monitor `json:"monitor"`
	Commit  string          `json:"commit"`
	// Stale is true when the file now holds an invalid version and this one is
	// the last valid version, still running.
	Stale bool `json:"stale,omitempty"`
}

// CatalogStore keeps the catalog of the last sync.
type CatalogStore interface {
	PutCatalog(ctx context.Context, c Catalog) error
	// GetCatalog returns ErrNotFound before the first sync.
	GetCatalog(ctx context.Context) (Catalog, error)
}

// SpanWriter stores spans. Writing a span whose ID is already stored is a
// no-op that returns no error: the agent's spool may replay a batch.
type SpanWriter interface {
	WriteSpans(ctx context.Context, spans []span.Span) error
}

// SpanQuery filters spans; zero values mean "any".
type SpanQuery struct {
	Service string
	Kind    string // span.KindServer or span.KindClient
	TraceID string
	Since   time.Time // inclusive, on @timestamp
	Until   time.Time // exclusive, on @timestamp
	Limit   int       // 0 means 100
}

// SpanReader reads spans, newest @timestamp first.
type SpanReader interface {
	GetSpan(ctx context.Context, id string) (span.Span, error)
	ListSpans(ctx context.Context, q SpanQuery) ([]span.Span, error)
}

// Store is everything a backend provides.
type Store interface {
	ResultWriter
	ResultReader
	CatalogStore
	SpanWriter
	SpanReader
	Close() error
}
