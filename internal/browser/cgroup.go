package browser

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Limits are the fixed resources of one browser: fixed resources make
// timings comparable from run to run. Zero fields are not limited.
type Limits struct {
	CPUs        float64 // CPU time per wall second, e.g. 1.0
	MemoryBytes int64
}

// Enforced is what a run got: the limits in force and where, or why none.
type Enforced struct {
	CPUs            float64 `json:"cpus,omitempty"`
	MemoryBytes     int64   `json:"memory_bytes,omitempty"`
	Cgroup          string  `json:"cgroup,omitempty"` // v1 or v2
	Reason          string  `json:"reason,omitempty"` // why no limit is in force
	PeakMemoryBytes int64   `json:"peak_memory_bytes,omitempty"`
}

// cgroupRoot is where cgroups are mounted; a variable for tests.
var cgroupRoot = "/sys/fs/cgroup"

// runCgroup is the cgroup (one dir per controller) a browser runs in.
type runCgroup struct {
	dirs    []string // every directory created, to remove at the end
	procs   []string // cgroup.procs files the browser joins
	version string
	peak    string // file holding the peak memory usage
}

// newRunCgroup creates the cgroup of one run and sets its limits. cgroup v1
// (memory and cpu hierarchies) and v2 (unified) are supported.
func newRunCgroup(name string, l Limits) (*runCgroup, error) {
	if l.CPUs <= 0 && l.MemoryBytes <= 0 {
		return nil, errors.New("no limits configured")
	}
	if _, err := os.Stat(filepath.Join(cgroupRoot, "cgroup.controllers")); err == nil {
		return newV2(name, l)
	}
	return newV1(name, l)
}

func newV1(name string, l Limits) (*runCgroup, error) {
	cg := &runCgroup{version: "v1"}
	if l.MemoryBytes > 0 {
		dir := filepath.Join(cgroupRoot, "memory", "vigil-browser", name)
		if err := cg.mkdir(dir); err != nil {
			return nil, err
		}
		if err := write(dir, "memory.limit_in_bytes", strconv.FormatInt(l.MemoryBytes, 10)); err != nil {
			cg.remove()
			return nil, err
		}
		cg.peak = filepath.Join(dir, "memory.max_usage_in_bytes")
	}
	if l.CPUs > 0 {
		dir := filepath.Join(cgroupRoot, "cpu", "vigil-browser", name)
		if err := cg.mkdir(dir); err != nil {
			cg.remove()
			return nil, err
		}
		if err := write(dir, "cpu.cfs_period_us", "100000"); err == nil {
			err = write(dir, "cpu.cfs_quota_us", strconv.Itoa(int(l.CPUs*100000)))
			if err != nil {
				cg.remove()
				return nil, err
			}
		}
	}
	return cg, nil
}

func newV2(name string, l Limits) (*runCgroup, error) {
	cg := &runCgroup{version: "v2"}
	parent := filepath.Join(cgroupRoot, "vigil-browser")
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", parent, err)
	}
	_ = write(parent, "cgroup.subtree_control", "+cpu +memory")
	dir := filepath.Join(parent, name)
	if err := cg.mkdir(dir); err != nil {
		return nil, err
	}
	if l.MemoryBytes > 0 {
		if err := write(dir, "memory.max", strconv.FormatInt(l.MemoryBytes, 10)); err != nil {
			cg.remove()
			return nil, err
		}
		cg.peak = filepath.Join(dir, "memory.peak")
	}
	if l.CPUs > 0 {
		if err := write(dir, "cpu.max", fmt.Sprintf("%d 100000", int(l.CPUs*100000))); err != nil {
			cg.remove()
			return nil, err
		}
	}
	return cg, nil
}

func (cg *runCgroup) mkdir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating cgroup %s: %w", dir, err)
	}
	cg.dirs = append(cg.dirs, dir)
	cg.procs = append(cg.procs, filepath.Join(dir, "cgroup.procs"))
	return nil
}

func write(dir, file, value string) error {
	if err := os.WriteFile(filepath.Join(dir, file), []byte(value), 0); err != nil {
		return fmt.Errorf("setting %s in %s: %w", file, dir, err)
	}
	return nil
}

// wrapper writes a script that moves itself into the cgroup, then becomes
// the browser: every process the browser forks is born inside the limits.
func (cg *runCgroup) wrapper(dir, browserPath string) (string, error) {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	for _, p := range cg.procs {
		fmt.Fprintf(&b, "echo $$ > '%s' || exit 97\n", p)
	}
	fmt.Fprintf(&b, "exec '%s' \"$@\"\n", browserPath)
	path := filepath.Join(dir, "vigil-browser.sh")
	if err := os.WriteFile(path, []byte(b.String()), 0o700); err != nil {
		return "", fmt.Errorf("writing the browser wrapper: %w", err)
	}
	return path, nil
}

// peakMemory reads the cgroup's peak memory use (0 when unknown).
func (cg *runCgroup) peakMemory() int64 {
	if cg.peak == "" {
		return 0
	}
	b, err := os.ReadFile(cg.peak)
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return n
}

// remove deletes the cgroup directories once their processes are gone.
func (cg *runCgroup) remove() {
	for i := len(cg.dirs) - 1; i >= 0; i-- {
		for try := 0; try < 50; try++ {
			if err := os.Remove(cg.dirs[i]); err == nil || os.IsNotExist(err) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}
