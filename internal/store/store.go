// Package store declares what vigil keeps: check results, the monitor
// catalog (what the last sync found in git), spans, incidents and the
// traces assembled from spans. Backends live in sub-packages
// and all pass the contract suite in store/storetest.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-dev/vigil/internal/alert"
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
	// Alerts are the valid alert rules and notification channels of this
	// commit (alerts/*.yaml); AlertErrors the invalid ones, by file:line.
	Alerts      alert.Set                 `json:"alerts"`
	AlertErrors []monitor.ValidationError `json:"alert_errors,omitempty"`
}

// CatalogMonitor is a monitor in force and the commit it was taken from.
type CatalogMonitor struct {
	Monitor monitor.Monitor `json:"monitor"`
	Commit  string          `json:"commit"`
	// Stale is true when the file now holds an invalid version and this one is
	// the last valid version, still running.
	Stale bool `json:"stale,omitempty"`
	// Since is when the monitor first came into force (its first sync):
	// until it has had time to run, its silence is no alert.
	Since time.Time `json:"since,omitempty"`
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

// Incident is an alert rule firing for one group, as the Incident workflow
// that owns it last wrote it.
type Incident struct {
	ID            string            `json:"id"` // the Incident workflow id, e.g. "vigil-incident/checkout-down/ab12cd"
	Rule          string            `json:"rule"`
	Key           string            `json:"key"` // rule+group key
	Labels        map[string]string `json:"labels,omitempty"`
	State         string            `json:"state"` // IncidentFiring, IncidentAcknowledged or IncidentResolved
	Severity      string            `json:"severity"`
	Summary       string            `json:"summary"`
	Value         float64           `json:"value"`
	StartedAt     time.Time         `json:"started_at"`
	UpdatedAt     time.Time         `json:"updated_at"`
	AckedAt       *time.Time        `json:"acked_at,omitempty"`
	AckedBy       string            `json:"acked_by,omitempty"`
	ResolvedAt    *time.Time        `json:"resolved_at,omitempty"`
	ResolvedBy    string            `json:"resolved_by,omitempty"` // "" when resolved automatically
	Notifications int               `json:"notifications"`         // messages sent so far
	Evidence      map[string]string `json:"evidence,omitempty"`    // result id, monitor, location, step, error, commit...
	WorkflowID    string            `json:"workflow_id"`
	RunID         string            `json:"run_id,omitempty"`
}

// The states of an incident, in lifecycle order.
const (
	IncidentFiring       = "firing"
	IncidentAcknowledged = "acknowledged"
	IncidentResolved     = "resolved"
)

// Validate checks what a store needs of an incident: id, rule, key, a known
// state, started_at and updated_at. The error names the incident and the
// field (by its JSON name).
func (in *Incident) Validate() error {
	if in.ID == "" {
		return fmt.Errorf("incident of rule %q (key %q) has no id", in.Rule, in.Key)
	}
	switch {
	case in.Rule == "":
		return fmt.Errorf("incident %q has no rule", in.ID)
	case in.Key == "":
		return fmt.Errorf("incident %q has no key", in.ID)
	case in.State == "":
		return fmt.Errorf("incident %q has no state", in.ID)
	case in.State != IncidentFiring && in.State != IncidentAcknowledged && in.State != IncidentResolved:
		return fmt.Errorf("incident %q has an unknown state %q (want %s, %s or %s)",
			in.ID, in.State, IncidentFiring, IncidentAcknowledged, IncidentResolved)
	case in.StartedAt.IsZero():
		return fmt.Errorf("incident %q has no started_at", in.ID)
	case in.UpdatedAt.IsZero():
		return fmt.Errorf("incident %q has no updated_at", in.ID)
	}
	return nil
}

// IncidentQuery filters incidents; zero values mean "any".
type IncidentQuery struct {
	State string
	Rule  string
	Open  bool      // firing or acknowledged
	Since time.Time // inclusive, on StartedAt
	Limit int       // 0 means 100
}

// IncidentWriter stores incidents.
type IncidentWriter interface {
	// PutIncident stores the incident's current state, replacing the stored
	// one of the same id, unless the stored one has a later UpdatedAt (a
	// late retry of an earlier write): then it is a no-op that returns no
	// error, so an incident never goes back. An invalid incident (see
	// Incident.Validate) is rejected.
	PutIncident(ctx context.Context, in Incident) error
}

// IncidentReader reads incidents.
type IncidentReader interface {
	// GetIncident returns ErrNotFound, wrapped, for an unknown id.
	GetIncident(ctx context.Context, id string) (Incident, error)
	// ListIncidents returns the incidents matching q, newest StartedAt
	// first, ties by id descending; an empty slice, not nil, when none do.
	ListIncidents(ctx context.Context, q IncidentQuery) ([]Incident, error)
}

// Store is everything a backend provides.
type Store interface {
	ResultWriter
	ResultReader
	CatalogStore
	SpanWriter
	SpanReader
	IncidentWriter
	IncidentReader
	TraceWriter
	TraceReader
	SpanLinker
	StoredSpanReader
	TraceWatermarkStore
	Close() error
}
