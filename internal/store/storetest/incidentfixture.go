package storetest

import (
	"time"

	"github.com/vigil-dev/vigil/internal/store"
)

// NewIncident returns a firing incident of rule with every field a firing
// incident has set, started at `at` and last updated a minute later, for
// tests and benchmarks of stores.
func NewIncident(id, rule string, at time.Time) store.Incident {
	at = at.UTC()
	return store.Incident{
		ID:            id,
		Rule:          rule,
		Key:           rule + "/location=eu-west",
		Labels:        map[string]string{"monitor": "checkout", "location": "eu-west", "team": "shop"},
		State:         store.IncidentFiring,
		Severity:      "critical",
		Summary:       "checkout down in eu-west: status == 200: got 500",
		Value:         0.75,
		StartedAt:     at,
		UpdatedAt:     at.Add(time.Minute),
		Notifications: 1,
		Evidence: map[string]string{
			"result":   "result-" + id,
			"monitor":  "checkout",
			"location": "eu-west",
			"step":     "cart",
			"error":    "status == 200: got 500",
			"commit":   "0123456789abcdef0123456789abcdef01234567",
		},
		WorkflowID: id,
		RunID:      "run-" + id,
	}
}

// acknowledged returns in acknowledged by who, `after` its last update.
func acknowledged(in store.Incident, who string, after time.Duration) store.Incident {
	in.State = store.IncidentAcknowledged
	in.UpdatedAt = in.UpdatedAt.Add(after)
	ackedAt := in.UpdatedAt
	in.AckedAt = &ackedAt
	in.AckedBy = who
	return in
}

// resolved returns in resolved by who ("" for automatically), `after` its
// last update.
func resolved(in store.Incident, who string, after time.Duration) store.Incident {
	in.State = store.IncidentResolved
	in.UpdatedAt = in.UpdatedAt.Add(after)
	resolvedAt := in.UpdatedAt
	in.ResolvedAt = &resolvedAt
	in.ResolvedBy = who
	return in
}
