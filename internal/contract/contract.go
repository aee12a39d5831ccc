// Package contract is the contract between workflows and activities: the
// registered names, task queues, search attributes and payload types. The
// workflows package depends on it instead of on the activities themselves, so
// workflow code never links I/O.
package contract

import (
	"time"

	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
)

// Workflow and activity names as registered on the workers.
const (
	WorkflowMonitorRun   = "MonitorRun"
	WorkflowSyncMonitors = "SyncMonitors"

	ActivityRunCheck           = "RunCheck"
	ActivityStoreResults       = "StoreResults"
	ActivityFetchMonitors      = "FetchMonitors"
	ActivityReconcileSchedules = "ReconcileSchedules"
)

// Task queues. Workflows and the activities that need the store run on the
// control queue; checks run on the queue of their location, so a worker
// started with --location X serves only the monitors assigned to X.
const (
	TaskQueueControl       = "vigil-control"
	checkTaskQueuePrefix   = "vigil-checks-"
	browserTaskQueuePrefix = "vigil-browsers-"
)

// CheckTaskQueue is the task queue of the checks of one location.
func CheckTaskQueue(location string) string { return checkTaskQueuePrefix + location }

// BrowserTaskQueue is the task queue of the browser journeys of one
// location: its worker's concurrency is the number of browsers it hosts.
func BrowserTaskQueue(location string) string { return browserTaskQueuePrefix + location }

// Schedule and workflow ids.
const (
	MonitorSchedulePrefix = "vigil-monitor/"
	MonitorRunIDPrefix    = "vigil-run/"
	SyncScheduleID        = "vigil-sync"
	SyncWorkflowID        = "vigil-sync-run"
)

// MonitorScheduleID names the Temporal Schedule of a monitor.
func MonitorScheduleID(monitorID string) string { return MonitorSchedulePrefix + monitorID }

// Custom search attributes registered at start.
const (
	SearchAttrMonitorID   = "VigilMonitorId"   // Keyword, on runs and schedules
	SearchAttrStatus      = "VigilStatus"      // Keyword, on runs: up or down
	SearchAttrMonitorHash = "VigilMonitorHash" // Keyword, on schedules: definition hash
)

// MonitorRunInput is what a monitor's schedule starts MonitorRun with: the
// definition pinned at the commit it came from. Secrets are references only.
type MonitorRunInput struct {
	Monitor monitor.Monitor `json:"monitor"`
	Commit  string          `json:"commit"`
}

// MonitorRunOutput summarises a run.
type MonitorRunOutput struct {
	Status    string   `json:"status"` // up or down (down if any location is confirmed down)
	ResultIDs []string `json:"result_ids"`
	Failed    []string `json:"failed_locations,omitempty"` // locations whose check could not run
}

// RunCheckInput is one attempt at one location.
type RunCheckInput struct {
	Monitor     monitor.Monitor `json:"monitor"`
	Commit      string          `json:"commit"`
	Location    string          `json:"location"`
	Attempt     int             `json:"attempt"` // 1 is the scheduled check, >1 re-checks
	Confirm     bool            `json:"confirm"` // a down result of this attempt is confirmed
	ResultID    string          `json:"result_id"`
	WorkflowID  string          `json:"workflow_id"`
	RunID       string          `json:"run_id"`
	ScheduledAt *time.Time      `json:"scheduled_at,omitempty"`
}

// StoreResultsInput carries results to the store.
type StoreResultsInput struct {
	Results []result.Result `json:"results"`
}

// SyncInput names the monitors repository.
type SyncInput struct {
	Source string `json:"source"` // git URL or local path
	Branch string `json:"branch,omitempty"`
}

// SyncPlan is what FetchMonitors found; the catalog itself is in the store
// (it can be too large for a workflow payload).
type SyncPlan struct {
	Commit     string   `json:"commit"`
	Monitors   int      `json:"monitors"`
	Invalid    int      `json:"invalid"`           // invalid monitors and alert rules
	Rules      int      `json:"rules"`             // alert rules in force
	Removed    []string `json:"removed,omitempty"` // ids of the previous sync no longer defined
	FetchError string   `json:"fetch_error,omitempty"`
}

// ReconcileInput asks to make the schedules match the stored catalog.
type ReconcileInput struct {
	Commit  string   `json:"commit"`
	Removed []string `json:"removed,omitempty"`
}

// ReconcileOutput lists what changed, by monitor id.
type ReconcileOutput struct {
	Created   []string `json:"created,omitempty"`
	Updated   []string `json:"updated,omitempty"`
	Deleted   []string `json:"deleted,omitempty"`
	Paused    []string `json:"paused,omitempty"`
	Resumed   []string `json:"resumed,omitempty"`
	Unchanged int      `json:"unchanged"`
}
