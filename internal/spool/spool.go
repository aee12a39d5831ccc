// Package spool keeps the node agent's span batches on local disk while the
// store is unreachable and drains them, oldest first, once it accepts writes
// again. Writes are idempotent by span ID, so replaying a batch after a crash
// is harmless; losing one is not.
//
// Durability: each spooled batch is one write(2) before Write returns, so it
// survives a crash of the process; segments are fsynced when rotated, handed
// to Run and on Close (every batch with Options.SyncEveryBatch), so a power
// loss costs at most the active segment.
package spool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
)

// Drop reasons, as in the dropped spans metric.
const (
	ReasonSpoolFull  = "spool_full" // oldest data deleted to stay under MaxBytes
	ReasonUnreadable = "unreadable" // a spooled record could not be read back
)

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("spool closed")

// Options tune a Spool; zero values take the defaults.
type Options struct {
	MaxBytes         int64         // bound of the data on disk; 256 MiB
	SegmentBytes     int64         // segment size before rotation; MaxBytes/16, at most 16 MiB
	RetryInterval    time.Duration // first retry after a store error; 1s
	MaxRetryInterval time.Duration // cap of the exponential backoff; 30s
	WriteTimeout     time.Duration // bound of one store write; 5s
	// SyncEveryBatch fsyncs after each spooled batch, so batches survive a
	// power loss too, not only a crash of the process.
	SyncEveryBatch bool
	Now            func() time.Time // for tests
}

func (o *Options) defaults() {
	if o.MaxBytes <= 0 {
		o.MaxBytes = 256 << 20
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = min(max(o.MaxBytes/16, 1), 16<<20)
	}
	o.SegmentBytes = min(o.SegmentBytes, o.MaxBytes)
	if o.RetryInterval <= 0 {
		o.RetryInterval = time.Second
	}
	if o.MaxRetryInterval <= 0 {
		o.MaxRetryInterval = 30 * time.Second
	}
	o.MaxRetryInterval = max(o.MaxRetryInterval, o.RetryInterval)
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 5 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Stats are the spool's counters since New; Spooled* include what an earlier
// process left on disk.
type Stats struct {
	SpooledBytes   int64 // on disk
	SpooledSpans   int64 // on disk and not yet accepted by the store
	Segments       int
	WrittenSpans   int64            // accepted by the store, directly or from disk
	DroppedSpans   int64            // all reasons
	DroppedBy      map[string]int64 // by reason: ReasonSpoolFull, ReasonUnreadable
	CorruptRecords int64
	StoreErrors    int64
}

// Spool sits between the agent and a store.SpanWriter.
type Spool struct {
	dir  string
	w    store.SpanWriter
	opts Options
	log  *slog.Logger
	wake chan struct{} // a batch was spooled

	stopRun  context.CancelFunc // Close stops Run through it
	runCtx   context.Context
	runs     sync.WaitGroup
	inflight sync.WaitGroup // Writes Close waits for

	mu        sync.Mutex
	closed    bool
	segs      []*segment // oldest first; the last one may be active
	nextSeq   uint64
	bytes     int64
	spans     int64
	written   int64
	dropped   map[string]int64
	corrupt   int64
	storeErrs int64
	storeDown bool
	lastDrop  time.Time // of the last "spool full" log
}

// New opens (creating it if needed) the spool in dir and picks up the
// segments an earlier process left there; Run drains them.
func New(dir string, w store.SpanWriter, opts Options, log *slog.Logger) (*Spool, error) {
	opts.defaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("creating spool directory: %w", err)
	}
	s := &Spool{
		dir: dir, w: w, opts: opts,
		log:     log.With("component", "spool", "dir", dir),
		wake:    make(chan struct{}, 1),
		dropped: map[string]int64{ReasonSpoolFull: 0, ReasonUnreadable: 0},
	}
	s.runCtx, s.stopRun = context.WithCancel(context.Background())
	if err := s.recover(); err != nil {
		return nil, err
	}
	return s, nil
}

// recover picks up existing segments, oldest first.
func (s *Spool) recover() error {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("listing spool directory: %w", err)
	}
	var seqs []uint64
	for _, e := range entries {
		if seq, ok := parseSegName(e.Name()); ok && e.Type().IsRegular() {
			seqs = append(seqs, seq)
		}
	}
	slices.Sort(seqs)
	for _, seq := range seqs {
		seg, corrupt, err := scanSegment(s.dir, seq)
		if err != nil {
			return fmt.Errorf("reading spool segment %s: %w", segName(seq), err)
		}
		if corrupt != nil {
			s.corrupt++
			s.log.Warn("skipping corrupt tail of spool segment", "segment", seg.path,
				"bytes_skipped", seg.size-seg.validEnd, "error", corrupt)
		}
		s.segs = append(s.segs, seg)
		s.bytes += seg.size
		s.spans += seg.spans
		s.nextSeq = seq + 1
	}
	if len(s.segs) > 0 {
		s.log.Info("picked up spooled spans", "segments", len(s.segs), "spans", s.spans, "bytes", s.bytes)
	}
	return nil
}

// Write hands a batch to the store, or spools it to disk when the store
// fails or older batches are still spooled (to keep their order). It returns
// an error only when the batch could be neither stored nor spooled.
func (s *Spool) Write(ctx context.Context, batch []span.Span) error {
	if len(batch) == 0 {
		return nil
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.inflight.Add(1)
	direct := len(s.segs) == 0 && ctx.Err() == nil
	s.mu.Unlock()
	defer s.inflight.Done()

	if direct {
		wctx, cancel := context.WithTimeout(ctx, s.opts.WriteTimeout)
		err := s.w.WriteSpans(wctx, batch)
		cancel()
		if err == nil {
			s.storeOK(len(batch))
			return nil
		}
		s.storeFailed(err)
	}
	rec, err := encodeRecord(batch)
	if err != nil {
		return fmt.Errorf("encoding a batch of %d spans for the spool: %w", len(batch), err)
	}
	s.mu.Lock()
	err = s.appendLocked(rec, int64(len(batch)))
	s.mu.Unlock()
	if err != nil {
		return err
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

// appendLocked writes one record to the active segment, making room first.
func (s *Spool) appendLocked(rec []byte, spans int64) error {
	n := int64(len(rec))
	hdr := int64(len(fileMagic))
	if n+hdr > s.opts.MaxBytes { // would not fit even in an empty spool
		s.dropLocked(spans, "batch larger than the spool")
		return nil
	}
	// A full segment is rotated, unless it holds no record yet.
	rotate := func(act *segment) bool {
		return act != nil && act.size > hdr && act.size+n > s.opts.SegmentBytes
	}
	for len(s.segs) > 0 {
		act, need := s.activeLocked(), n
		if act == nil || rotate(act) {
			need += hdr
		}
		if s.bytes+need <= s.opts.MaxBytes {
			break
		}
		s.dropOldestLocked()
	}
	act := s.activeLocked()
	if rotate(act) {
		s.sealLocked()
		act = nil
	}
	if act == nil {
		var err error
		if act, err = s.createLocked(); err != nil {
			return err
		}
	}
	wrote, err := act.f.Write(rec)
	act.size += int64(wrote)
	s.bytes += int64(wrote)
	if err == nil && s.opts.SyncEveryBatch {
		err = act.f.Sync()
	}
	if err != nil {
		// A partial record would be skipped by the checksum, but nothing may
		// follow it: start a new segment next time.
		s.sealLocked()
		return fmt.Errorf("appending a batch of %d spans to %s: %w", spans, act.path, err)
	}
	act.validEnd = act.size
	act.spans += spans
	s.spans += spans
	return nil
}

func (s *Spool) activeLocked() *segment {
	if len(s.segs) == 0 || s.segs[len(s.segs)-1].f == nil {
		return nil
	}
	return s.segs[len(s.segs)-1]
}

func (s *Spool) createLocked() (*segment, error) {
	seg := &segment{seq: s.nextSeq, path: filepath.Join(s.dir, segName(s.nextSeq))}
	f, err := os.OpenFile(seg.path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("creating spool segment: %w", err)
	}
	s.nextSeq++
	if _, err := f.WriteString(fileMagic); err != nil {
		f.Close()
		os.Remove(seg.path)
		return nil, fmt.Errorf("writing header of spool segment %s: %w", seg.path, err)
	}
	// The directory entry must survive a power loss as well as the data.
	if err := syncDir(s.dir); err != nil {
		s.log.Warn("syncing spool directory", "error", err)
	}
	seg.f = f
	seg.size = int64(len(fileMagic))
	seg.off, seg.validEnd = seg.size, seg.size
	s.segs = append(s.segs, seg)
	s.bytes += seg.size
	return seg, nil
}

// sealLocked fsyncs and closes the active segment; it is never appended to again.
func (s *Spool) sealLocked() {
	act := s.activeLocked()
	if act == nil {
		return
	}
	if err := act.f.Sync(); err != nil {
		s.log.Error("syncing spool segment", "segment", act.path, "error", err)
	}
	if err := act.f.Close(); err != nil {
		s.log.Error("closing spool segment", "segment", act.path, "error", err)
	}
	act.f = nil
}

// dropOldestLocked deletes the oldest segment to make room. If Run is sending
// it, Run stops after the batch in flight (which may then be counted both as
// written and as dropped).
func (s *Spool) dropOldestLocked() {
	seg := s.segs[0]
	if seg.f != nil {
		seg.f.Close()
		seg.f = nil
	}
	s.forgetLocked(seg)
	s.dropLocked(seg.spans-seg.sent, "dropped the oldest spool segment")
}

// forgetLocked removes seg from disk and the accounts.
func (s *Spool) forgetLocked(seg *segment) {
	if i := slices.Index(s.segs, seg); i >= 0 {
		s.segs = slices.Delete(s.segs, i, i+1)
	}
	seg.dropped = true
	s.bytes -= seg.size
	s.spans -= seg.spans - seg.sent
	if err := os.Remove(seg.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		// Left on disk, it is picked up (and replayed) by the next process.
		s.log.Error("deleting spool segment", "segment", seg.path, "error", err)
	}
}

// dropLocked counts spans dropped because the spool is full, logging at most
// every 10s.
func (s *Spool) dropLocked(spans int64, msg string) {
	s.dropped[ReasonSpoolFull] += spans
	if now := s.opts.Now(); now.Sub(s.lastDrop) >= 10*time.Second {
		s.lastDrop = now
		s.log.Warn("spool full: "+msg, "spans", spans, "reason", ReasonSpoolFull,
			"dropped_total", s.dropped[ReasonSpoolFull], "max_bytes", s.opts.MaxBytes)
	}
}

func (s *Spool) storeOK(spans int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.written += int64(spans)
	if s.storeDown {
		s.storeDown = false
		s.log.Info("store accepts writes again", "spooled_spans", s.spans)
	}
}

// storeFailed counts a store error, logging only when the store goes down.
func (s *Spool) storeFailed(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.storeErrs++
	if !s.storeDown {
		s.storeDown = true
		s.log.Warn("store write failed; spooling spans to disk", "error", err)
	}
}

// Stats returns a snapshot of the counters.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{
		SpooledBytes: s.bytes, SpooledSpans: s.spans, Segments: len(s.segs),
		WrittenSpans: s.written, DroppedBy: make(map[string]int64, len(s.dropped)),
		CorruptRecords: s.corrupt, StoreErrors: s.storeErrs,
	}
	for k, v := range s.dropped {
		st.DroppedBy[k] = v
		st.DroppedSpans += v
	}
	return st
}

// Close stops Run, waits for Writes in flight (which spool what the store
// refuses) and fsyncs the active segment. What is spooled stays on disk for
// the next process.
func (s *Spool) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.stopRun()
	s.runs.Wait()
	s.inflight.Wait()

	s.mu.Lock()
	defer s.mu.Unlock()
	if act := s.activeLocked(); act != nil {
		err := act.f.Sync()
		if cerr := act.f.Close(); err == nil {
			err = cerr
		}
		act.f = nil
		if err != nil {
			return fmt.Errorf("flushing spool segment %s: %w", act.path, err)
		}
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
