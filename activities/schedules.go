package activities

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/store"
)

// SyncPauseNote starts the note of every schedule that sync paused because
// the monitor says `paused: true`. A paused schedule with any other note was
// paused by a person (Temporal UI, CLI) and sync leaves it paused.
const SyncPauseNote = "paused by vigil sync"

var (
	monitorIDAttr   = temporal.NewSearchAttributeKeyKeyword(contract.SearchAttrMonitorID)
	monitorHashAttr = temporal.NewSearchAttributeKeyKeyword(contract.SearchAttrMonitorHash)
)

// Schedules reconciles one Temporal Schedule per monitor.
type Schedules struct {
	client client.ScheduleClient
	log    *slog.Logger
}

// NewSchedules builds a reconciler over a schedule client.
func NewSchedules(c client.ScheduleClient, log *slog.Logger) *Schedules {
	return &Schedules{client: c, log: log.With("component", "schedules")}
}

type scheduleState struct {
	paused bool
	note   string
	hash   string
}

// Reconcile creates, updates, pauses, resumes and deletes schedules so they
// match the monitors; removed lists ids that must go even if the (eventually
// consistent) schedule list does not show them yet.
func (s *Schedules) Reconcile(ctx context.Context, monitors []store.CatalogMonitor, removed []string) (contract.ReconcileOutput, error) {
	var out contract.ReconcileOutput
	existing, err := s.list(ctx)
	if err != nil {
		return out, err
	}
	want := map[string]bool{}
	var errs []error
	for _, cm := range monitors {
		want[cm.Monitor.ID] = true
		if err := s.reconcileOne(ctx, cm, existing, &out); err != nil {
			errs = append(errs, err)
		}
	}
	toDelete := map[string]bool{}
	for id := range existing {
		if !want[id] {
			toDelete[id] = true
		}
	}
	for _, id := range removed {
		if !want[id] {
			toDelete[id] = true
		}
	}
	for id := range toDelete {
		err := s.client.GetHandle(ctx, contract.MonitorScheduleID(id)).Delete(ctx)
		var nf *serviceerror.NotFound
		if err != nil && !errors.As(err, &nf) {
			errs = append(errs, fmt.Errorf("deleting schedule of monitor %s: %w", id, err))
			continue
		}
		out.Deleted = append(out.Deleted, id)
	}
	return out, errors.Join(errs...)
}

func (s *Schedules) reconcileOne(ctx context.Context, cm store.CatalogMonitor, existing map[string]scheduleState, out *contract.ReconcileOutput) error {
	m := cm.Monitor
	cur, ok := existing[m.ID]
	if !ok {
		created, err := s.create(ctx, cm)
		if err != nil {
			return err
		}
		if created {
			out.Created = append(out.Created, m.ID)
			return nil
		}
		// It exists but the list did not show it yet: read it directly.
		if cur, err = s.describe(ctx, m.ID); err != nil {
			return err
		}
	}
	h := s.client.GetHandle(ctx, contract.MonitorScheduleID(m.ID))
	changed := false
	if cur.hash != definitionHash(m) {
		if err := s.update(ctx, h, cm); err != nil {
			return err
		}
		out.Updated = append(out.Updated, m.ID)
		changed = true
	}
	switch {
	case m.Paused && !cur.paused:
		if err := h.Pause(ctx, client.SchedulePauseOptions{Note: pauseNote(cm)}); err != nil {
			return fmt.Errorf("pausing schedule of monitor %s: %w", m.ID, err)
		}
		out.Paused = append(out.Paused, m.ID)
		changed = true
	case !m.Paused && cur.paused && strings.HasPrefix(cur.note, SyncPauseNote):
		if err := h.Unpause(ctx, client.ScheduleUnpauseOptions{Note: "resumed by vigil sync: paused is no longer set"}); err != nil {
			return fmt.Errorf("resuming schedule of monitor %s: %w", m.ID, err)
		}
		out.Resumed = append(out.Resumed, m.ID)
		changed = true
	}
	if !changed {
		out.Unchanged++
	}
	return nil
}

func pauseNote(cm store.CatalogMonitor) string {
	return fmt.Sprintf("%s: paused: true in %s at %s", SyncPauseNote, cm.Monitor.Source.File, shortCommit(cm.Commit))
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

// create returns false when the schedule already exists.
func (s *Schedules) create(ctx context.Context, cm store.CatalogMonitor) (bool, error) {
	m := cm.Monitor
	opts := client.ScheduleOptions{
		ID:     contract.MonitorScheduleID(m.ID),
		Spec:   scheduleSpec(m),
		Action: runAction(cm),
		// Runs are independent and a check never outlasts its interval (the
		// validator holds timeout <= every), so the scheduler need not watch
		// each run to skip overlaps; that watching costs ~15% CPU per run.
		Overlap:       enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL,
		CatchupWindow: time.Minute,
		Paused:        m.Paused,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			monitorIDAttr.ValueSet(m.ID), monitorHashAttr.ValueSet(definitionHash(m))),
	}
	if m.Paused {
		opts.Note = pauseNote(cm)
	}
	_, err := s.client.Create(ctx, opts)
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return false, nil
	}
	var exists *serviceerror.AlreadyExists
	if errors.As(err, &exists) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("creating schedule of monitor %s: %w", m.ID, err)
	}
	s.log.Info("schedule created", "monitor", m.ID, "commit", shortCommit(cm.Commit))
	return true, nil
}

func (s *Schedules) update(ctx context.Context, h client.ScheduleHandle, cm store.CatalogMonitor) error {
	m := cm.Monitor
	err := h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
		sched := in.Description.Schedule
		spec := scheduleSpec(m)
		sched.Spec = &spec
		sched.Action = runAction(cm)
		if sched.Policy != nil {
			sched.Policy.Overlap = enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL
		}
		sa := temporal.NewSearchAttributes(monitorIDAttr.ValueSet(m.ID), monitorHashAttr.ValueSet(definitionHash(m)))
		return &client.ScheduleUpdate{Schedule: &sched, TypedSearchAttributes: &sa}, nil
	}})
	if err != nil {
		return fmt.Errorf("updating schedule of monitor %s: %w", m.ID, err)
	}
	s.log.Info("schedule updated", "monitor", m.ID, "commit", shortCommit(cm.Commit))
	return nil
}

func (s *Schedules) describe(ctx context.Context, id string) (scheduleState, error) {
	d, err := s.client.GetHandle(ctx, contract.MonitorScheduleID(id)).Describe(ctx)
	if err != nil {
		return scheduleState{}, fmt.Errorf("describing schedule of monitor %s: %w", id, err)
	}
	st := scheduleState{paused: d.Schedule.State.Paused, note: d.Schedule.State.Note}
	if h, ok := d.TypedSearchAttributes.GetKeyword(monitorHashAttr); ok {
		st.hash = h
	}
	return st, nil
}

// list returns the monitor schedules by monitor id.
func (s *Schedules) list(ctx context.Context) (map[string]scheduleState, error) {
	it, err := s.client.List(ctx, client.ScheduleListOptions{PageSize: 1000})
	if err != nil {
		return nil, fmt.Errorf("listing schedules: %w", err)
	}
	out := map[string]scheduleState{}
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("listing schedules: %w", err)
		}
		id, ok := strings.CutPrefix(e.ID, contract.MonitorSchedulePrefix)
		if !ok {
			continue
		}
		out[id] = scheduleState{paused: e.Paused, note: e.Note, hash: keywordAttr(e.SearchAttributes.GetIndexedFields(), contract.SearchAttrMonitorHash)}
	}
	return out, nil
}

func keywordAttr(fields map[string]*commonpb.Payload, name string) string {
	p, ok := fields[name]
	if !ok {
		return ""
	}
	var v string
	if err := converter.GetDefaultDataConverter().FromPayload(p, &v); err != nil {
		return ""
	}
	return v
}

func scheduleSpec(m monitor.Monitor) client.ScheduleSpec {
	if m.Schedule.Cron != "" {
		return client.ScheduleSpec{CronExpressions: []string{m.Schedule.Cron}}
	}
	every := time.Duration(m.Schedule.Every)
	return client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every, Offset: spreadOffset(m.ID, every)}}}
}

// definitionHash identifies what a schedule runs; the paused flag is left
// out because sync applies it by pausing, not by updating the schedule.
func definitionHash(m monitor.Monitor) string {
	m.Paused = false
	return m.Hash()
}

// spreadOffset places each monitor at a stable point of its interval, so a
// thousand monitors "every: 1m" do not all fire at the top of the minute.
func spreadOffset(id string, every time.Duration) time.Duration {
	if every < 2*time.Second {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	return time.Duration(h.Sum64()%uint64(every/time.Millisecond)) * time.Millisecond
}

func runAction(cm store.CatalogMonitor) *client.ScheduleWorkflowAction {
	return &client.ScheduleWorkflowAction{
		ID:                       contract.MonitorRunIDPrefix + cm.Monitor.ID,
		Workflow:                 contract.WorkflowMonitorRun,
		Args:                     []any{contract.MonitorRunInput{Monitor: cm.Monitor, Commit: cm.Commit}},
		TaskQueue:                contract.TaskQueueControl,
		WorkflowExecutionTimeout: 30 * time.Minute,
		TypedSearchAttributes:    temporal.NewSearchAttributes(monitorIDAttr.ValueSet(cm.Monitor.ID)),
	}
}
