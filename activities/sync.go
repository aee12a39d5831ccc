package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/vigil-dev/vigil/internal/alert"
	"github.com/vigil-dev/vigil/internal/contract"
	"github.com/vigil-dev/vigil/internal/gitrepo"
	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/store"
)

// RepoSyncer brings a monitors repository up to date.
type RepoSyncer interface {
	Sync(ctx context.Context) (gitrepo.Snapshot, error)
}

// RepoOpener opens the repository of a source and branch.
type RepoOpener func(source, branch string) (RepoSyncer, error)

// SyncObserver is told about every sync (metrics).
type SyncObserver interface {
	ObserveSync(c store.Catalog)
}

// Sync fetches and validates the monitors repository and keeps the
// catalog; with Schedules it reconciles Temporal Schedules.
type Sync struct {
	catalog   store.CatalogStore
	open      RepoOpener
	schedules *Schedules
	observer  SyncObserver
	log       *slog.Logger
	now       func() time.Time

	mu    sync.Mutex
	repos map[string]RepoSyncer
}

// NewSync builds the sync activities.
func NewSync(catalog store.CatalogStore, open RepoOpener, schedules *Schedules, observer SyncObserver, log *slog.Logger) *Sync {
	return &Sync{catalog: catalog, open: open, schedules: schedules, observer: observer,
		log: log.With("component", "sync"), now: time.Now, repos: map[string]RepoSyncer{}}
}

func (s *Sync) repo(source, branch string) (RepoSyncer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := source + "\x00" + branch
	if r, ok := s.repos[key]; ok {
		return r, nil
	}
	r, err := s.open(source, branch)
	if err != nil {
		return nil, err
	}
	s.repos[key] = r
	return r, nil
}

// FetchMonitors fetches the repository, validates every definition and
// stores the new catalog. An unreachable repository is not an error: the
// previous monitors stay in force and the catalog says why.
func (s *Sync) FetchMonitors(ctx context.Context, in contract.SyncInput) (contract.SyncPlan, error) {
	prev, err := s.catalog.GetCatalog(ctx)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return contract.SyncPlan{}, fmt.Errorf("reading previous catalog: %w", err)
	}
	snap, err := s.fetch(ctx, in)
	if err != nil {
		s.log.Error("fetching monitors repository", "source", in.Source, "branch", in.Branch, "error", err)
		prev.Source, prev.Branch, prev.FetchError = in.Source, in.Branch, err.Error()
		prev.SyncedAt = s.now().UTC()
		if perr := s.catalog.PutCatalog(ctx, prev); perr != nil {
			return contract.SyncPlan{}, fmt.Errorf("storing catalog after fetch error: %w", perr)
		}
		s.observe(prev)
		return contract.SyncPlan{Commit: prev.Commit, FetchError: err.Error()}, nil
	}
	monitors, verrs := monitor.LoadDir(snap.Dir)
	for _, e := range verrs {
		s.log.Warn("invalid monitor definition", "file", e.File, "line", e.Line, "column", e.Column, "monitor", e.MonitorID, "error", e.Message, "commit", snap.Commit)
	}
	next := mergeCatalog(prev, monitors, verrs, snap.Commit, s.now().UTC())
	next.Source, next.Branch, next.SyncedAt = in.Source, in.Branch, s.now().UTC()
	next.Alerts, next.AlertErrors = loadAlerts(snap.Dir, monitors)
	for _, e := range next.AlertErrors {
		s.log.Warn("invalid alert rule", "file", e.File, "line", e.Line, "column", e.Column, "error", e.Message, "commit", snap.Commit)
	}
	if err := s.catalog.PutCatalog(ctx, next); err != nil {
		return contract.SyncPlan{}, fmt.Errorf("storing catalog of commit %s: %w", snap.Commit, err)
	}
	s.observe(next)
	return contract.SyncPlan{
		Commit:   snap.Commit,
		Monitors: len(next.Monitors),
		Invalid:  len(verrs) + len(next.AlertErrors),
		Rules:    len(next.Alerts.Rules),
		Removed:  removedIDs(prev, next),
	}, nil
}

func (s *Sync) fetch(ctx context.Context, in contract.SyncInput) (gitrepo.Snapshot, error) {
	r, err := s.repo(in.Source, in.Branch)
	if err != nil {
		return gitrepo.Snapshot{}, err
	}
	return r.Sync(ctx)
}

func (s *Sync) observe(c store.Catalog) {
	if s.observer != nil {
		s.observer.ObserveSync(c)
	}
}

// ReconcileSchedules makes the monitors' schedules match the stored catalog.
func (s *Sync) ReconcileSchedules(ctx context.Context, in contract.ReconcileInput) (contract.ReconcileOutput, error) {
	if s.schedules == nil {
		return contract.ReconcileOutput{}, errors.New("reconciling schedules: this worker has no Temporal client")
	}
	cat, err := s.catalog.GetCatalog(ctx)
	if err != nil {
		return contract.ReconcileOutput{}, fmt.Errorf("reading catalog of commit %s: %w", in.Commit, err)
	}
	return s.schedules.Reconcile(ctx, cat.Monitors, in.Removed)
}

// mergeCatalog builds the monitors in force: the valid definitions of this
// commit, plus, for each monitor whose file is now invalid, its last valid
// version (marked stale), so a typo never stops a monitor.
func mergeCatalog(prev store.Catalog, valid []monitor.Monitor, verrs []monitor.ValidationError, commit string, now time.Time) store.Catalog {
	next := store.Catalog{Commit: commit, Errors: verrs}
	seen := map[string]bool{}
	prevByID := map[string]store.CatalogMonitor{}
	for _, pm := range prev.Monitors {
		prevByID[pm.Monitor.ID] = pm
	}
	for _, m := range valid {
		seen[m.ID] = true
		cm := store.CatalogMonitor{Monitor: m, Commit: commit, Since: now}
		// Keep the commit where the definition last changed: schedules are
		// only updated when the definition changes.
		if pm, ok := prevByID[m.ID]; ok && definitionHash(pm.Monitor) == definitionHash(m) && !pm.Stale {
			cm.Commit = pm.Commit
		}
		if pm, ok := prevByID[m.ID]; ok && !pm.Since.IsZero() {
			cm.Since = pm.Since
		}
		next.Monitors = append(next.Monitors, cm)
	}
	badFiles := map[string]bool{}
	badIDs := map[string]bool{}
	for _, e := range verrs {
		badFiles[e.File] = true
		if e.MonitorID != "" {
			badIDs[e.MonitorID] = true
		}
	}
	for _, pm := range prev.Monitors {
		if seen[pm.Monitor.ID] {
			continue
		}
		if badFiles[pm.Monitor.Source.File] || badIDs[pm.Monitor.ID] {
			pm.Stale = true
			next.Monitors = append(next.Monitors, pm)
			seen[pm.Monitor.ID] = true
		}
	}
	return next
}

func removedIDs(prev, next store.Catalog) []string {
	in := map[string]bool{}
	for _, m := range next.Monitors {
		in[m.Monitor.ID] = true
	}
	var out []string
	for _, m := range prev.Monitors {
		if !in[m.Monitor.ID] {
			out = append(out, m.Monitor.ID)
		}
	}
	return out
}

// loadAlerts reads the alert rules and channels of the repository and
// checks them against its monitors. An invalid rule is reported and left
// out; the others are in force.
func loadAlerts(dir string, monitors []monitor.Monitor) (alert.Set, []monitor.ValidationError) {
	set, errs := alert.LoadDir(dir)
	return set, append(errs, alert.ValidateAgainst(set, monitors)...)
}
