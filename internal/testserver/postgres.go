package testserver

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// PGBinary is the path of a PostgreSQL program from the newest installed
// major version, or "" when there is none (Debian keeps them off PATH).
func PGBinary(name string) string {
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(m) == 0 {
		return ""
	}
	return m[len(m)-1]
}

// asPostgresUser makes cmd run as the postgres user when we are root: the
// server refuses to run as root.
func asPostgresUser(cmd *exec.Cmd, dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("running as root needs a postgres user: %w (apt-get install postgresql)", ErrNotInstalled)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return fmt.Errorf("giving %s to postgres: %w", dir, err)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	return nil
}

// Postgres starts a fresh cluster with trust authentication for user
// postgres, without fsync; settings are extra "name=value" server settings.
func Postgres(settings ...string) (*Server, error) {
	initdb, server, psql := PGBinary("initdb"), PGBinary("postgres"), PGBinary("psql")
	if initdb == "" || server == "" || psql == "" {
		return nil, fmt.Errorf("PostgreSQL is %w (apt-get install postgresql)", ErrNotInstalled)
	}
	dir, err := os.MkdirTemp("", "vigil-pg-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(initdb, "-D", dir+"/data", "-U", "postgres", "--auth=trust", "--no-sync")
	if err := asPostgresUser(cmd, dir); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w: %s", err, out)
	}
	port, err := FreePort()
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	args := []string{"-D", dir + "/data", "-k", dir, "-p", strconv.Itoa(port), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"}
	for _, s := range settings {
		args = append(args, "-c", s)
	}
	cmd = exec.Command(server, args...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	_ = asPostgresUser(cmd, dir)
	s, err := start(cmd, dir, port, os.Interrupt)
	if err != nil {
		return nil, err
	}
	// Ready means accepting queries, not just the port: startup recovery
	// answers connections with an error first.
	err = waitReady("PostgreSQL", 30*time.Second, func() error {
		return exec.Command(psql, "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "postgres", "-c", "SELECT 1").Run()
	})
	if err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}
