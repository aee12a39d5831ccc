package contract

import (
	"time"

	"github.com/vigil-dev/vigil/internal/notify"
)

// Alerting: names, ids and payloads of EvaluateAlerts and Incident.
const (
	WorkflowEvaluateAlerts = "EvaluateAlerts"
	WorkflowIncident       = "Incident"

	ActivityEvaluateRules    = "EvaluateRules"
	ActivitySendNotification = "SendNotification"
	ActivityStoreIncident    = "StoreIncident"

	EvaluateScheduleID = "vigil-evaluate-alerts"
	IncidentIDPrefix   = "vigil-incident/"

	// SignalAlert carries each evaluation of the incident's rule and group;
	// SignalAck and SignalResolve come from people (CLI, API, Temporal UI).
	SignalAlert   = "alert"
	SignalAck     = "ack"
	SignalResolve = "resolve"

	// QueryIncident returns the incident's current IncidentState.
	QueryIncident = "incident"
)

// IncidentWorkflowID names the one Incident workflow of a rule and group.
func IncidentWorkflowID(key string) string { return IncidentIDPrefix + key }

// EvaluateInput configures one evaluation.
type EvaluateInput struct {
	// ReopenWindow: an incident re-firing this soon after it resolved is
	// reopened instead of starting a new one.
	ReopenWindow time.Duration `json:"reopen_window"`
}

// EvaluateOutput counts what one evaluation did.
type EvaluateOutput struct {
	Rules      int      `json:"rules"`
	Groups     int      `json:"groups"`  // groups evaluated
	Firing     int      `json:"firing"`  // groups firing, signalled to their incident
	Cleared    int      `json:"cleared"` // open incidents told their condition no longer holds
	RuleErrors []string `json:"rule_errors,omitempty"`
}

// AlertSignal is one evaluation of an incident's group.
type AlertSignal struct {
	Firing   bool              `json:"firing"`
	Value    float64           `json:"value"`
	Summary  string            `json:"summary"`
	Evidence map[string]string `json:"evidence,omitempty"`
	At       time.Time         `json:"at"`
}

// ActionSignal is an acknowledgement or a manual resolution. IncidentID,
// when set, must match the incident's: a late click on an old incident's
// message does not act on a newer one.
type ActionSignal struct {
	By         string `json:"by"`
	IncidentID string `json:"incident_id,omitempty"`
}

// IncidentInput starts an Incident; State carries it over continue-as-new.
type IncidentInput struct {
	Rule         string            `json:"rule"`
	Key          string            `json:"key"`
	Labels       map[string]string `json:"labels,omitempty"`
	Severity     string            `json:"severity"`
	Channels     []string          `json:"channels,omitempty"`
	RemindEvery  time.Duration     `json:"remind_every"`
	ResolveAfter time.Duration     `json:"resolve_after"`
	ReopenWindow time.Duration     `json:"reopen_window"`
	RunBaseURL   string            `json:"run_base_url,omitempty"`    // links to runs: <base>/api/runs/<result id>
	TemporalUI   string            `json:"temporal_ui_url,omitempty"` // links to workflows
	Namespace    string            `json:"namespace,omitempty"`       // of the Temporal UI links
	State        *IncidentState    `json:"state,omitempty"`
}

// IncidentState is the lifecycle of one incident.
type IncidentState struct {
	ID            string                `json:"id"`     // workflow id + start time: unique per occurrence
	Status        string                `json:"status"` // store.IncidentFiring ...
	StartedAt     time.Time             `json:"started_at"`
	AckedAt       *time.Time            `json:"acked_at,omitempty"`
	AckedBy       string                `json:"acked_by,omitempty"`
	ResolvedAt    *time.Time            `json:"resolved_at,omitempty"`
	ResolvedBy    string                `json:"resolved_by,omitempty"`
	Last          AlertSignal           `json:"last"`
	Refs          map[string]notify.Ref `json:"refs,omitempty"` // per channel: the message to update
	Reminders     int                   `json:"reminders"`
	RemindedAt    *time.Time            `json:"reminded_at,omitempty"` // the last reminder`
	Notifications int                   `json:"notifications"`
	Reopened      int                   `json:"reopened"`
}

// NotifyInput asks one channel to send one event.
type NotifyInput struct {
	Channel string       `json:"channel"`
	Event   notify.Event `json:"event"`
}
