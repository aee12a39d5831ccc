package spool

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"time"
)

// Run drains the spool into the store, oldest batch first, until ctx is done
// or Close is called. It waits for a newly spooled batch when the spool is
// empty, and backs off exponentially while the store fails.
func (s *Spool) Run(ctx context.Context) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.runs.Add(1)
	s.mu.Unlock()
	defer s.runs.Done()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.runCtx, cancel)()

	failures := 0
	for {
		seg := s.oldest()
		if seg == nil {
			select {
			case <-ctx.Done():
				return
			case <-s.wake:
				continue
			}
		}
		if err := s.drain(ctx, seg); err == nil {
			failures = 0
			continue
		}
		if ctx.Err() != nil {
			return
		}
		failures++
		t := time.NewTimer(s.backoff(failures))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// backoff doubles the retry interval per failure, up to the cap, with ±20%
// jitter so that agents do not retry in lockstep when the store comes back.
func (s *Spool) backoff(failures int) time.Duration {
	d := s.opts.RetryInterval
	for i := 1; i < failures && d < s.opts.MaxRetryInterval; i++ {
		d *= 2
	}
	d = min(d, s.opts.MaxRetryInterval)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// oldest returns the oldest segment, sealing it if Writes still append to
// it, so that what Run sends no longer changes; nil when the spool is empty.
func (s *Spool) oldest() *segment {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.segs) == 0 {
		return nil
	}
	if s.segs[0].f != nil {
		s.sealLocked()
	}
	return s.segs[0]
}

// drain sends seg's batches from where the last attempt stopped and deletes
// it once all were accepted. It returns the store's error.
func (s *Spool) drain(ctx context.Context, seg *segment) error {
	s.mu.Lock()
	start := seg.off
	s.mu.Unlock()
	f, err := os.Open(seg.path)
	if err == nil {
		defer f.Close()
		_, err = f.Seek(start, io.SeekStart)
	}
	if err != nil {
		s.unreadable(seg, fmt.Errorf("opening spool segment: %w", err))
		return nil
	}
	r := bufio.NewReaderSize(f, 64<<10)
	for {
		s.mu.Lock()
		off, end, dropped := seg.off, seg.validEnd, seg.dropped
		s.mu.Unlock()
		if dropped {
			return nil
		}
		payload, n, err := readRecord(r, end-off)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil { // the scan or this process found it good: the disk changed
			s.unreadable(seg, fmt.Errorf("reading spool segment at offset %d: %w", off, err))
			return nil
		}
		batch, err := decodeBatch(payload)
		if err != nil {
			s.mu.Lock()
			s.corrupt++
			s.skipLocked(seg, off+n, payloadCount(payload), ReasonUnreadable)
			s.mu.Unlock()
			s.log.Error("skipping undecodable spool record", "segment", seg.path, "offset", off, "error", err)
			continue
		}
		wctx, cancel := context.WithTimeout(ctx, s.opts.WriteTimeout)
		err = s.w.WriteSpans(wctx, batch)
		cancel()
		if err != nil {
			s.storeFailed(err)
			return fmt.Errorf("writing %d spooled spans: %w", len(batch), err)
		}
		s.storeOK(len(batch))
		s.mu.Lock()
		s.skipLocked(seg, off+n, int64(len(batch)), "")
		s.mu.Unlock()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !seg.dropped {
		s.forgetLocked(seg)
	}
	return nil
}

// skipLocked moves seg's read position past a record of spans, counting them
// as dropped for reason, or as sent when reason is empty.
func (s *Spool) skipLocked(seg *segment, next, spans int64, reason string) {
	if seg.dropped {
		return
	}
	seg.off = next
	seg.sent += spans
	s.spans -= spans
	if reason != "" {
		s.dropped[reason] += spans
	}
}

// unreadable gives up on the rest of seg, counting its unsent spans as
// dropped, so that Run does not retry a broken file forever.
func (s *Spool) unreadable(seg *segment, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if seg.dropped {
		return
	}
	lost := seg.spans - seg.sent
	s.corrupt++
	s.dropped[ReasonUnreadable] += lost
	s.forgetLocked(seg)
	s.log.Error("dropping unreadable spool segment", "segment", seg.path, "spans", lost,
		"reason", ReasonUnreadable, "error", err)
}
