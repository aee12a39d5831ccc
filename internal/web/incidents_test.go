package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/web"
)

type fakeIncidents []store.Incident

func (f fakeIncidents) GetIncident(_ context.Context, id string) (store.Incident, error) {
	for _, in := range f {
		if in.ID == id {
			return in, nil
		}
	}
	return store.Incident{}, store.ErrNotFound
}

func (f fakeIncidents) ListIncidents(_ context.Context, q store.IncidentQuery) ([]store.Incident, error) {
	out := []store.Incident{}
	for _, in := range f {
		if (q.State == "" || in.State == q.State) && (!q.Open || in.State != store.IncidentResolved) {
			out = append(out, in)
		}
	}
	return out, nil
}

type recordedSignal struct {
	workflowID, name string
	arg              contract.ActionSignal
}

type fakeSignaler struct{ got []recordedSignal }

func (f *fakeSignaler) SignalWorkflow(_ context.Context, workflowID, _, name string, arg any) error {
	f.got = append(f.got, recordedSignal{workflowID, name, arg.(contract.ActionSignal)})
	return nil
}

func TestIncidentsAPI(t *testing.T) {
	now := time.Now()
	incidents := fakeIncidents{
		{ID: "vigil-incident/a@1", Rule: "a", Key: "a", State: store.IncidentFiring, StartedAt: now, UpdatedAt: now, WorkflowID: "vigil-incident/a"},
		{ID: "vigil-incident/b@1", Rule: "b", Key: "b", State: store.IncidentResolved, StartedAt: now, UpdatedAt: now, WorkflowID: "vigil-incident/b"},
	}
	sig := &fakeSignaler{}
	h := web.Handler(web.Deps{Incidents: incidents, Signaler: sig})

	var list struct{ Incidents []store.Incident }
	decode(t, get(t, h, "/api/incidents?open=true"), &list)
	if len(list.Incidents) != 1 || list.Incidents[0].ID != "vigil-incident/a@1" {
		t.Fatalf("open incidents = %+v", list.Incidents)
	}

	for _, tc := range []struct {
		name, path, body string
		code             int
	}{
		{"ack", "/api/incidents/ack", `{"id":"vigil-incident/a@1","by":"ann"}`, http.StatusAccepted},
		{"resolve", "/api/incidents/resolve", `{"id":"vigil-incident/a@1"}`, http.StatusAccepted},
		{"already resolved", "/api/incidents/ack", `{"id":"vigil-incident/b@1"}`, http.StatusConflict},
		{"unknown incident", "/api/incidents/ack", `{"id":"nope"}`, http.StatusNotFound},
		{"unknown action", "/api/incidents/snooze", `{"id":"vigil-incident/a@1"}`, http.StatusNotFound},
		{"no id", "/api/incidents/ack", `{}`, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, tc.path, strings.NewReader(tc.body)))
			if rec.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.code, rec.Body)
			}
		})
	}
	want := []recordedSignal{
		{"vigil-incident/a", contract.SignalAck, contract.ActionSignal{By: "ann", IncidentID: "vigil-incident/a@1"}},
		{"vigil-incident/a", contract.SignalResolve, contract.ActionSignal{By: "api", IncidentID: "vigil-incident/a@1"}},
	}
	if len(sig.got) != 2 || sig.got[0] != want[0] || sig.got[1] != want[1] {
		t.Fatalf("signals = %+v, want %+v", sig.got, want)
	}
}
