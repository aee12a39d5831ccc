package spool

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		name            string
		down            bool
		wantStored      int
		wantSpooled     int64
		wantStoreErrors int64
	}{
		{name: "store up writes directly", wantStored: 30},
		// Only the first batch tries the store: later ones keep their order
		// behind it on disk.
		{name: "store down spools to disk", down: true, wantSpooled: 30, wantStoreErrors: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			st := &fakeStore{down: tt.down}
			s := newSpool(t, dir, st, Options{}, nil)
			writeBatches(t, s, "b", 10, 0, 1, 2)

			assert.Len(t, st.ids(), tt.wantStored)
			stats := s.Stats()
			assert.Equal(t, int64(tt.wantStored), stats.WrittenSpans)
			assert.Equal(t, tt.wantSpooled, stats.SpooledSpans)
			assert.Equal(t, tt.wantStoreErrors, stats.StoreErrors)
			var onDisk int64
			for _, f := range segFiles(t, dir) {
				fi, err := os.Stat(f)
				require.NoError(t, err)
				onDisk += fi.Size()
			}
			assert.Equal(t, onDisk, stats.SpooledBytes, "SpooledBytes is what the files hold")
			assert.Equal(t, tt.wantSpooled > 0, onDisk > 0)
		})
	}
}

func TestDrainInOrder(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		failN   int  // the store fails this many calls, with Run running throughout
		downFor bool // the store is down until all batches are spooled
	}{
		{name: "one segment", downFor: true},
		{name: "one record per segment", opts: Options{SegmentBytes: 1}, downFor: true},
		{name: "store fails 5 times while Run retries", opts: Options{SegmentBytes: 3000}, failN: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			st := &fakeStore{down: tt.downFor, failN: tt.failN}
			s := newSpool(t, dir, st, tt.opts, nil)
			if !tt.downFor {
				startRun(t, s)
			}
			writeBatches(t, s, "b", 5, seq(0, 20)...)
			if tt.downFor {
				assert.Empty(t, st.ids())
				assert.Equal(t, int64(100), s.Stats().SpooledSpans)
				assert.NotEmpty(t, segFiles(t, dir))
				startRun(t, s)
				time.Sleep(10 * time.Millisecond) // Run retries while the store is down
				st.setDown(false)
			}
			waitDrained(t, s)

			assert.Equal(t, batchIDs("b", 5, seq(0, 20)...), st.ids(), "all spans, in order, once")
			assert.Empty(t, segFiles(t, dir))
			stats := s.Stats()
			assert.Equal(t, int64(100), stats.WrittenSpans)
			assert.Zero(t, stats.DroppedSpans)
			assert.Positive(t, stats.StoreErrors)

			calls := st.numCalls()
			writeBatches(t, s, "b", 5, 20)
			assert.Equal(t, calls+1, st.numCalls(), "an empty spool writes directly again")
			assert.Empty(t, segFiles(t, dir))
		})
	}
}

func TestRoundTripKeepsSpans(t *testing.T) {
	st := &fakeStore{failN: 1}
	s := newSpool(t, t.TempDir(), st, Options{}, nil)
	b := batch("rt", 0, 3)
	require.NoError(t, s.Write(context.Background(), b))
	startRun(t, s)
	waitDrained(t, s)
	st.mu.Lock()
	defer st.mu.Unlock()
	require.Len(t, st.batches, 1)
	assert.Equal(t, b, st.batches[0], "every field survives the trip through disk")
}

func TestBoundDropsOldest(t *testing.T) {
	const n = 4 // spans per batch
	rec := recordLen(t, n)
	hdr := int64(len(fileMagic))
	tests := []struct {
		name          string
		opts          Options
		wantDelivered []int // batch indices that survive
	}{
		{
			name:          "one record per segment",
			opts:          Options{SegmentBytes: 1, MaxBytes: 4 * (hdr + rec)},
			wantDelivered: seq(6, 10),
		},
		{
			// Segments [0-2] [3-5] [6-8] [9]: the two oldest go.
			name:          "three records per segment",
			opts:          Options{SegmentBytes: hdr + 3*rec, MaxBytes: 2 * (hdr + 3*rec)},
			wantDelivered: seq(6, 10),
		},
		{
			name: "batch larger than the spool",
			opts: Options{MaxBytes: rec},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			st := &fakeStore{down: true}
			logs := &logBuffer{}
			tt.opts.Now = func() time.Time { return time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC) }
			s := newSpool(t, dir, st, tt.opts, slog.New(slog.NewTextHandler(logs, nil)))
			writeBatches(t, s, "b", n, seq(0, 10)...)

			stats := s.Stats()
			assert.LessOrEqual(t, stats.SpooledBytes, tt.opts.MaxBytes)
			wantDropped := int64((10 - len(tt.wantDelivered)) * n)
			assert.Equal(t, wantDropped, stats.DroppedSpans)
			assert.Equal(t, wantDropped, stats.DroppedBy[ReasonSpoolFull])
			assert.Equal(t, int64(len(tt.wantDelivered)*n), stats.SpooledSpans)
			assert.Equal(t, 1, logs.count("spool full"), "drops are logged at most every 10s")
			assert.Equal(t, logs.count("\n"), logs.count("component=spool"), "every line names the component")

			st.setDown(false)
			startRun(t, s)
			waitDrained(t, s)
			assert.Equal(t, batchIDs("b", n, tt.wantDelivered...), st.ids())
			assert.Empty(t, segFiles(t, dir))
		})
	}
}

func TestRestartDrainsLeftovers(t *testing.T) {
	for _, closeFirst := range []bool{true, false} {
		name := map[bool]string{true: "after Close", false: "after a crash"}[closeFirst]
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			down := &fakeStore{down: true}
			s1 := newSpool(t, dir, down, Options{SegmentBytes: 2000}, nil)
			writeBatches(t, s1, "b", 5, seq(0, 10)...)
			if closeFirst {
				require.NoError(t, s1.Close())
				assert.ErrorIs(t, s1.Write(context.Background(), batch("x", 0, 1)), ErrClosed)
			}
			files := segFiles(t, dir)
			require.Greater(t, len(files), 1)

			up := &fakeStore{}
			s2 := newSpool(t, dir, up, Options{}, nil)
			stats := s2.Stats()
			assert.Equal(t, int64(50), stats.SpooledSpans)
			assert.Equal(t, len(files), stats.Segments)
			// A batch written before Run still goes behind the leftovers.
			writeBatches(t, s2, "b", 5, 10)
			assert.Empty(t, up.ids())

			startRun(t, s2)
			waitDrained(t, s2)
			assert.Equal(t, batchIDs("b", 5, seq(0, 11)...), up.ids())
			assert.Empty(t, segFiles(t, dir))
		})
	}
}

func TestCloseKeepsWritesInFlight(t *testing.T) {
	dir := t.TempDir()
	st := &fakeStore{hang: true}
	s, err := New(dir, st, fastOpts(Options{WriteTimeout: 50 * time.Millisecond}), nil)
	require.NoError(t, err)

	done := make(chan error, 1)
	go func() { done <- s.Write(context.Background(), batch("b", 0, 5)) }()
	require.Eventually(t, func() bool { return st.numCalls() == 1 }, 5*time.Second, time.Millisecond)
	require.NoError(t, s.Close())
	require.NoError(t, <-done, "a Write in flight at Close is spooled")

	up := &fakeStore{}
	s2 := newSpool(t, dir, up, Options{}, nil)
	startRun(t, s2)
	waitDrained(t, s2)
	assert.Equal(t, batchIDs("b", 5, 0), up.ids())
}

func TestWriteDoesNotWaitForAHangingStore(t *testing.T) {
	st := &fakeStore{hang: true}
	s := newSpool(t, t.TempDir(), st, Options{WriteTimeout: 50 * time.Millisecond}, nil)
	start := time.Now()
	writeBatches(t, s, "b", 5, seq(0, 5)...)
	assert.Less(t, time.Since(start), 2*time.Second)
	assert.Equal(t, 1, st.numCalls(), "once spooling, Write goes to disk only")
	assert.Equal(t, int64(25), s.Stats().SpooledSpans)
}

func TestConcurrentWrites(t *testing.T) {
	const writers, perWriter, n = 8, 25, 4
	dir := t.TempDir()
	st := &fakeStore{}
	s := newSpool(t, dir, st, Options{SegmentBytes: 4000}, nil)
	startRun(t, s)

	stop := make(chan struct{})
	var toggler sync.WaitGroup
	toggler.Go(func() {
		for down := true; ; down = !down {
			select {
			case <-stop:
				st.setDown(false)
				return
			case <-time.After(3 * time.Millisecond):
				st.setDown(down)
			}
		}
	})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			prefix := string(rune('a' + w))
			for i := range perWriter {
				assert.NoError(t, s.Write(context.Background(), batch(prefix, i*n, n)))
				_ = s.Stats()
			}
		})
	}
	wg.Wait()
	close(stop)
	toggler.Wait()
	waitDrained(t, s)

	ids := st.ids()
	assert.Len(t, ids, writers*perWriter*n, "nothing lost, nothing duplicated")
	pos := map[string]int{}
	for i, id := range ids {
		_, dup := pos[id]
		assert.False(t, dup, "duplicate %s", id)
		pos[id] = i
	}
	for w := range writers {
		want := batchIDs(string(rune('a'+w)), n, seq(0, perWriter)...)
		for i := 1; i < len(want); i++ {
			assert.Less(t, pos[want[i-1]], pos[want[i]], "one writer's spans stay in order")
		}
	}
	assert.Empty(t, segFiles(t, dir))
}

func TestCollector(t *testing.T) {
	st := &fakeStore{down: true}
	s := newSpool(t, t.TempDir(), st, Options{}, nil)
	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(s.Collector("agent")))
	writeBatches(t, s, "b", 5, 0, 1)

	families, err := reg.Gather()
	require.NoError(t, err)
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			name := f.GetName()
			for _, l := range m.GetLabel() {
				name += "{" + l.GetName() + "=" + l.GetValue() + "}"
			}
			got[name] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
		}
	}
	assert.Equal(t, map[string]float64{
		"vigil_spool_bytes{input=agent}":                                  float64(s.Stats().SpooledBytes),
		"vigil_spool_spans{input=agent}":                                  10,
		"vigil_spool_segments{input=agent}":                               1,
		"vigil_spool_written_spans_total{input=agent}":                    0,
		"vigil_spool_dropped_spans_total{input=agent}{reason=spool_full}": 0,
		"vigil_spool_dropped_spans_total{input=agent}{reason=unreadable}": 0,
		"vigil_spool_corrupt_records_total{input=agent}":                  0,
		"vigil_spool_store_errors_total{input=agent}":                     1,
	}, got)
}

func TestBackoff(t *testing.T) {
	s := &Spool{opts: Options{RetryInterval: time.Second, MaxRetryInterval: 30 * time.Second}}
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{1, time.Second},
		{2, 2 * time.Second},
		{4, 8 * time.Second},
		{6, 30 * time.Second},
		{100, 30 * time.Second},
	}
	for _, tt := range tests {
		for range 20 {
			got := s.backoff(tt.failures)
			assert.GreaterOrEqual(t, got, tt.want*8/10, "failures=%d", tt.failures)
			assert.LessOrEqual(t, got, tt.want*12/10, "failures=%d", tt.failures)
		}
	}
}
