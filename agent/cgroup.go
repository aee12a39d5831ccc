package agent

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// CgroupMode says in which hierarchy a cgroup id lives; it matches
// enum vigil_cgroup_mode in bpf/capture.h.
type CgroupMode uint32

// Hierarchies the kernel filter can match.
const (
	CgroupV2       CgroupMode = 0
	CgroupV1Memory CgroupMode = 1
	CgroupV1CPU    CgroupMode = 2
)

// Cgroup is a cgroup chosen for capture: its directory's inode number is the
// kernfs node id the BPF program compares.
type Cgroup struct {
	Path string
	Mode CgroupMode
	ID   uint64
}

// ResolveCgroup finds the id and hierarchy of a cgroup directory. On cgroup
// v1 the directory must be in the memory or cpu hierarchy.
func ResolveCgroup(path string) (Cgroup, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return Cgroup{}, fmt.Errorf("cgroup %s: %w", path, err)
	}
	var fs unix.Statfs_t
	if err := unix.Statfs(abs, &fs); err != nil {
		return Cgroup{}, fmt.Errorf("cgroup %s: %w", path, err)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(abs, &st); err != nil {
		return Cgroup{}, fmt.Errorf("cgroup %s: %w", path, err)
	}
	cg := Cgroup{Path: abs, ID: st.Ino}
	switch int64(fs.Type) {
	case unix.CGROUP2_SUPER_MAGIC:
		cg.Mode = CgroupV2
		return cg, nil
	case unix.CGROUP_SUPER_MAGIC:
		ctrl, err := v1Controllers(abs)
		if err != nil {
			return Cgroup{}, err
		}
		switch {
		case ctrl["memory"]:
			cg.Mode = CgroupV1Memory
		case ctrl["cpu"]:
			cg.Mode = CgroupV1CPU
		default:
			return Cgroup{}, fmt.Errorf("cgroup %s is in a v1 hierarchy without the memory or cpu controller: use its path under the memory hierarchy", path)
		}
		return cg, nil
	}
	return Cgroup{}, fmt.Errorf("%s is not a cgroup directory (filesystem type %#x)", path, fs.Type)
}

// v1Controllers reads /proc/self/mountinfo for the controllers of the v1
// hierarchy holding path.
func v1Controllers(path string) (map[string]bool, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("reading mounts: %w", err)
	}
	defer f.Close()
	best, ctrl := "", map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent major:minor root mountpoint opts ... - fstype source superopts
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, x := range fields {
			if x == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || sep+3 >= len(fields) || fields[sep+1] != "cgroup" || len(fields) < 5 {
			continue
		}
		mp := fields[4]
		if (path == mp || strings.HasPrefix(path, mp+"/")) && len(mp) > len(best) {
			best, ctrl = mp, map[string]bool{}
			for _, o := range strings.Split(fields[sep+3], ",") {
				ctrl[o] = true
			}
		}
	}
	if best == "" {
		return nil, fmt.Errorf("no cgroup v1 mount holds %s", path)
	}
	return ctrl, sc.Err()
}
