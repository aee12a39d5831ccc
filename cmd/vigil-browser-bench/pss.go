package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// pssSampler sums the PSS of every chromium process every 100 ms and keeps
// the peak: the browser tree of the run (the bench runs nothing else).
type pssSampler struct {
	stopc chan struct{}
	wg    sync.WaitGroup
	peak  int64
}

func startPSSSampler() *pssSampler {
	s := &pssSampler{stopc: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			s.peak = max(s.peak, chromiumPSS())
			select {
			case <-s.stopc:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *pssSampler) stop() int64 {
	close(s.stopc)
	s.wg.Wait()
	return s.peak
}

// chromiumPSS is the summed Pss of the processes whose executable is
// chromium, in bytes.
func chromiumPSS() int64 {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var total int64
	for _, d := range dirs {
		exe, err := os.Readlink(filepath.Join(d, "exe"))
		if err != nil || !bytes.Contains([]byte(filepath.Base(exe)), []byte("chrom")) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(d, "smaps_rollup"))
		if err != nil {
			continue
		}
		for _, line := range bytes.Split(data, []byte("\n")) {
			if bytes.HasPrefix(line, []byte("Pss:")) {
				f := bytes.Fields(line)
				if len(f) >= 2 {
					kb, _ := strconv.ParseInt(string(f[1]), 10, 64)
					total += kb << 10
				}
				break
			}
		}
	}
	return total
}
