package agent

import (
	"fmt"
	"log/slog"
	"os"

	"golang.org/x/sys/unix"
)

const (
	tracefsPath = "/sys/kernel/tracing"
	bpffsPath   = "/sys/fs/bpf"
)

// EnsureMounts mounts tracefs (tracepoint ids are read from it) and bpffs
// (where operators pin and inspect maps) when they are missing.
func EnsureMounts(log *slog.Logger) error {
	if err := ensureMount(tracefsPath, "tracefs", unix.TRACEFS_MAGIC, log); err != nil {
		if _, statErr := os.Stat("/sys/kernel/debug/tracing/events"); statErr == nil {
			return nil // the older debugfs location works too
		}
		return err
	}
	if err := ensureMount(bpffsPath, "bpf", unix.BPF_FS_MAGIC, log); err != nil {
		// Nothing vigil does needs a pinned object: say so and go on.
		log.Warn("bpffs is not mounted and could not be mounted; maps cannot be pinned", "err", err)
	}
	return nil
}

func ensureMount(path, fstype string, magic int64, log *slog.Logger) error {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err == nil && int64(st.Type) == magic {
		return nil
	}
	if err := os.MkdirAll(path, 0o755); err != nil {
		return fmt.Errorf("creating mount point %s for %s: %w", path, fstype, err)
	}
	if err := unix.Mount("nodev", path, fstype, 0, ""); err != nil {
		return fmt.Errorf("mounting %s at %s (needs CAP_SYS_ADMIN, or mount it on the host): %w", fstype, path, err)
	}
	log.Info("mounted", "fs", fstype, "path", path)
	return nil
}
