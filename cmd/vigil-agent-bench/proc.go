package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func maxRSS() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss * 1024
}

// otherCPUs lists every CPU but 0, for taskset.
func otherCPUs() string {
	n := runtime.NumCPU()
	if n < 2 {
		return "0"
	}
	return fmt.Sprintf("1-%d", n-1)
}

// pinTree puts every thread of pid and of its children on CPU 0 (a
// PostgreSQL backend forked later inherits the postmaster's CPUs).
func pinTree(pid int) error {
	var set unix.CPUSet
	set.Set(0)
	pids := []string{strconv.Itoa(pid)}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if child, err := strconv.Atoi(e.Name()); err == nil && parentOf(child) == pid {
			pids = append(pids, e.Name())
		}
	}
	for _, p := range pids {
		if err := pinTasks(p, &set); err != nil {
			return err
		}
	}
	return nil
}

// pinSelf moves every thread of this process off CPU 0.
func pinSelf() error {
	var set unix.CPUSet
	for c := 1; c < runtime.NumCPU(); c++ {
		set.Set(c)
	}
	if set.Count() == 0 {
		return fmt.Errorf("needs at least 2 CPUs")
	}
	return pinTasks("self", &set)
}

// pinTasks sets the CPUs of every thread of /proc/<pid> ("self" too).
func pinTasks(pid string, set *unix.CPUSet) error {
	tasks, err := os.ReadDir("/proc/" + pid + "/task")
	if err != nil {
		return err
	}
	for _, t := range tasks {
		tid, _ := strconv.Atoi(t.Name())
		if err := unix.SchedSetaffinity(tid, set); err != nil {
			return err
		}
	}
	return nil
}

// procCPU is the user+system time of a process from /proc/PID/stat, with
// its children's: those it waited for and those still running (PostgreSQL
// serves each connection from a child of the postmaster).
func procCPU(pid int) time.Duration {
	own, waited, ok := statCPU(pid)
	if !ok {
		return 0
	}
	total := own + waited
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		child, err := strconv.Atoi(e.Name())
		if err != nil || child == pid || parentOf(child) != pid {
			continue
		}
		if c, _, ok := statCPU(child); ok {
			total += c
		}
	}
	return total
}

// statFields returns the fields of /proc/PID/stat after the command name:
// f[0] is the state (field 3 of proc(5)).
func statFields(pid int) []string {
	if pid <= 0 {
		return nil
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	return strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
}

func parentOf(pid int) int {
	f := statFields(pid)
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// statCPU is a process's own utime+stime and its waited-for children's
// cutime+cstime.
func statCPU(pid int) (own, children time.Duration, ok bool) {
	f := statFields(pid)
	if len(f) < 15 {
		return 0, 0, false
	}
	var t [4]int64
	for i := range t {
		t[i], _ = strconv.ParseInt(f[11+i], 10, 64)
	}
	const clkTck = 100 // USER_HZ on Linux
	tick := func(n int64) time.Duration { return time.Duration(n) * time.Second / clkTck }
	return tick(t[0] + t[1]), tick(t[2] + t[3]), true
}
