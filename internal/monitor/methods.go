package monitor

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// TimeoutOrDefault is the whole-check timeout, DefaultTimeout when unset.
func (m Monitor) TimeoutOrDefault() time.Duration {
	if m.Timeout <= 0 {
		// A check never outlasts its interval, so runs do not pile up.
		if every := m.Schedule.Every.Std(); every > 0 && every < DefaultTimeout {
			return every
		}
		return DefaultTimeout
	}
	return m.Timeout.Std()
}

// ConfirmCount is the number of re-checks that confirm a failure,
// DefaultConfirm when unset.
func (m Monitor) ConfirmCount() int {
	if m.Confirm == nil {
		return DefaultConfirm
	}
	return *m.Confirm
}

// LocationsOrDefault are the locations that run the monitor, [DefaultLocation]
// when none is named.
func (m Monitor) LocationsOrDefault() []string {
	if len(m.Locations) == 0 {
		return []string{DefaultLocation}
	}
	return m.Locations
}

// DisplayName is the name, or the id when the monitor has no name.
func (m Monitor) DisplayName() string {
	if m.Name != "" {
		return m.Name
	}
	return m.ID
}

// Hash identifies the definition, not where it was read: the hex SHA-256 of
// its canonical JSON (struct fields in order, map keys sorted) without
// Source. Moving a monitor to another file keeps its hash.
func (m Monitor) Hash() string {
	m.Source = Source{}
	data, err := json.Marshal(m)
	if err != nil {
		// only a json body built in Go can fail (a channel, NaN): hash its
		// printed form instead, which fmt writes with sorted map keys
		m.Steps = append([]Step(nil), m.Steps...)
		for i := range m.Steps {
			m.Steps[i].Request.JSON = fmt.Sprint(m.Steps[i].Request.JSON)
		}
		data, _ = json.Marshal(m)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
