package web

import (
	"context"
	"fmt"
	"strings"

	"go.temporal.io/sdk/client"
)

// TemporalSchedules reads the monitors' schedules from Temporal.
type TemporalSchedules struct {
	Client client.ScheduleClient
	// Prefix of monitor schedule ids ("vigil-monitor/").
	Prefix string
}

// MonitorSchedules lists every monitor schedule by monitor id.
func (t TemporalSchedules) MonitorSchedules(ctx context.Context) (map[string]ScheduleState, error) {
	it, err := t.Client.List(ctx, client.ScheduleListOptions{PageSize: 1000})
	if err != nil {
		return nil, fmt.Errorf("listing schedules: %w", err)
	}
	out := map[string]ScheduleState{}
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("listing schedules: %w", err)
		}
		id, ok := strings.CutPrefix(e.ID, t.Prefix)
		if !ok {
			continue
		}
		st := ScheduleState{ID: e.ID, Paused: e.Paused, Note: e.Note}
		if len(e.NextActionTimes) > 0 {
			next := e.NextActionTimes[0]
			st.NextRun = &next
		}
		for _, a := range e.RecentActions {
			st.Recent = append(st.Recent, a.ScheduleTime)
		}
		out[id] = st
	}
	return out, nil
}
