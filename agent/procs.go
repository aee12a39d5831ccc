package agent

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// Process is what the agent knows of a traced process.
type Process struct {
	PID         int
	Executable  string // resolved /proc/PID/exe
	Name        string // comm
	CgroupPath  string
	ContainerID string
	PodUID      string
	Service     string
}

// ServiceRule names the service of the processes it matches: the first rule
// whose set fields all match wins.
type ServiceRule struct {
	Name string `yaml:"name"`
	// Exe is a regular expression over the executable path.
	Exe string `yaml:"exe,omitempty"`
	// Process is the process name (comm) exactly.
	Process string `yaml:"process,omitempty"`
	// Container is a container id prefix.
	Container string `yaml:"container,omitempty"`
	exe       *regexp.Regexp
}

// compile checks the rule.
func (r *ServiceRule) compile() error {
	if r.Name == "" {
		return fmt.Errorf("a service rule needs a name")
	}
	if r.Exe == "" && r.Process == "" && r.Container == "" {
		return fmt.Errorf("service rule %q matches nothing: set exe, process or container", r.Name)
	}
	if r.Exe != "" {
		re, err := regexp.Compile(r.Exe)
		if err != nil {
			return fmt.Errorf("service rule %q: exe: %w", r.Name, err)
		}
		r.exe = re
	}
	return nil
}

func (r *ServiceRule) matches(p *Process) bool {
	return (r.exe == nil || r.exe.MatchString(p.Executable)) &&
		(r.Process == "" || r.Process == p.Name) &&
		(r.Container == "" || (p.ContainerID != "" && strings.HasPrefix(p.ContainerID, r.Container)))
}

// Processes caches process facts read from /proc, by pid.
type Processes struct {
	procRoot string
	rules    []ServiceRule
	mu       sync.Mutex
	byPID    map[uint32]*Process
}

// NewProcesses reads processes under procRoot (normally /proc; the host's
// /proc when the agent runs in a container).
func NewProcesses(procRoot string, rules []ServiceRule) (*Processes, error) {
	for i := range rules {
		if err := rules[i].compile(); err != nil {
			return nil, err
		}
	}
	return &Processes{procRoot: procRoot, rules: rules, byPID: map[uint32]*Process{}}, nil
}

// Get returns the process, reading /proc on first use. A process that exited
// before it could be read keeps its pid as its only fact.
func (ps *Processes) Get(pid uint32) *Process {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if p, ok := ps.byPID[pid]; ok {
		return p
	}
	p := ps.read(pid)
	ps.byPID[pid] = p
	return p
}

// Exec rereads the facts of a process that exec'd; comm, from the kernel,
// names it if it exited already.
func (ps *Processes) Exec(pid uint32, comm string) {
	p := ps.read(pid)
	if p.Name == "" && comm != "" {
		p.Name = comm
		p.Service = ps.serviceName(p)
	}
	ps.mu.Lock()
	ps.byPID[pid] = p
	ps.mu.Unlock()
}

// Forget drops an exited process.
func (ps *Processes) Forget(pid uint32) {
	ps.mu.Lock()
	delete(ps.byPID, pid)
	ps.mu.Unlock()
}

func (ps *Processes) read(pid uint32) *Process {
	dir := filepath.Join(ps.procRoot, fmt.Sprint(pid))
	p := &Process{PID: int(pid)}
	p.Executable, _ = os.Readlink(filepath.Join(dir, "exe"))
	if comm, err := os.ReadFile(filepath.Join(dir, "comm")); err == nil {
		p.Name = strings.TrimSpace(string(comm))
	}
	p.CgroupPath = readCgroupPath(filepath.Join(dir, "cgroup"))
	p.ContainerID, p.PodUID = parseCgroupPath(p.CgroupPath)
	p.Service = ps.serviceName(p)
	return p
}

func (ps *Processes) serviceName(p *Process) string {
	for i := range ps.rules {
		if ps.rules[i].matches(p) {
			return ps.rules[i].Name
		}
	}
	switch {
	case p.Name != "":
		return p.Name
	case p.Executable != "":
		return filepath.Base(p.Executable)
	}
	return fmt.Sprintf("pid-%d", p.PID)
}

// readCgroupPath picks the most telling line of /proc/PID/cgroup: the v2
// line, else the memory controller's, else the first.
func readCgroupPath(file string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	var first, memory, unified string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if first == "" {
			first = parts[2]
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			unified = parts[2]
		case strings.Contains(","+parts[1]+",", ",memory,"):
			memory = parts[2]
		}
	}
	for _, p := range []string{unified, memory} {
		if p != "" && p != "/" {
			return p
		}
	}
	return first
}

var (
	containerIDRe = regexp.MustCompile(`([0-9a-f]{64})(?:\.scope)?$`)
	podUIDRe      = regexp.MustCompile(`pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})`)
)

// parseCgroupPath finds a container id (docker, containerd, cri-o: 64 hex
// digits in the last element) and a Kubernetes pod uid (kubepods...pod<uid>,
// with systemd's underscores turned back into dashes).
func parseCgroupPath(path string) (containerID, podUID string) {
	if m := containerIDRe.FindStringSubmatch(path); m != nil {
		containerID = m[1]
	}
	if m := podUIDRe.FindStringSubmatch(path); m != nil {
		podUID = strings.ReplaceAll(m[1], "_", "-")
	}
	return containerID, podUID
}
