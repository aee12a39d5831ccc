package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/store"
)

// Incidents reads stored incidents.
type Incidents interface {
	GetIncident(ctx context.Context, id string) (store.Incident, error)
	ListIncidents(ctx context.Context, q store.IncidentQuery) ([]store.Incident, error)
}

// IncidentSignaler sends a person's action to an Incident workflow
// (client.Client is one).
type IncidentSignaler interface {
	SignalWorkflow(ctx context.Context, workflowID, runID, signalName string, arg any) error
}

// listIncidents serves GET /api/incidents?state=&open=&rule=&limit=.
func (s *server) listIncidents(w http.ResponseWriter, r *http.Request) {
	if s.d.Incidents == nil {
		s.fail(w, "listing incidents", errNoStore)
		return
	}
	q := store.IncidentQuery{State: r.URL.Query().Get("state"), Rule: r.URL.Query().Get("rule"), Open: r.URL.Query().Get("open") == "true"}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, http.StatusBadRequest, "limit must be a number between 1 and 1000")
			return
		}
		q.Limit = n
	}
	list, err := s.d.Incidents.ListIncidents(r.Context(), q)
	if err != nil {
		s.fail(w, "listing incidents", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"incidents": list})
}

// actionRequest is the body of POST /api/incidents/ack and /resolve.
type actionRequest struct {
	ID string `json:"id"`
	By string `json:"by"`
}

// incidentAction serves POST /api/incidents/{action}: ack or resolve.
func (s *server) incidentAction(w http.ResponseWriter, r *http.Request) {
	signal := map[string]string{"ack": contract.SignalAck, "resolve": contract.SignalResolve}[r.PathValue("action")]
	if signal == "" {
		writeError(w, http.StatusNotFound, "unknown action: use ack or resolve")
		return
	}
	var req actionRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil || req.ID == "" {
		writeError(w, http.StatusBadRequest, `body must be JSON {"id": "<incident id>", "by": "<who>"}`)
		return
	}
	if s.d.Incidents == nil || s.d.Signaler == nil {
		s.fail(w, "acting on an incident", errNoStore)
		return
	}
	inc, err := s.d.Incidents.GetIncident(r.Context(), req.ID)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no incident "+strconv.Quote(req.ID))
		return
	}
	if err != nil {
		s.fail(w, "reading the incident", err)
		return
	}
	if inc.State == store.IncidentResolved {
		writeError(w, http.StatusConflict, "incident "+req.ID+" is already resolved")
		return
	}
	if req.By == "" {
		req.By = "api"
	}
	if err := s.d.Signaler.SignalWorkflow(r.Context(), inc.WorkflowID, "", signal, contract.ActionSignal{By: req.By, IncidentID: inc.ID}); err != nil {
		s.fail(w, "signalling incident "+inc.ID, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"id": inc.ID, "signal": signal, "workflow_id": inc.WorkflowID})
}
