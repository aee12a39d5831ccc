package testserver

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
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
	data := dir + "/data"
	// Ready means this cluster accepting queries: startup recovery answers
	// connections with an error first, and another test's PostgreSQL (the
	// same user, trust) could hold the port.
	s, err := launch("PostgreSQL", dir, 30*time.Second, os.Interrupt, FreePort, func(port int) *exec.Cmd {
		args := []string{"-D", data, "-k", dir, "-p", strconv.Itoa(port), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"}
		for _, s := range settings {
			args = append(args, "-c", s)
		}
		cmd := exec.Command(server, args...)
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		_ = asPostgresUser(cmd, dir)
		return cmd
	}, func(s *Server) error {
		out, err := exec.Command(psql, "-h", "127.0.0.1", "-p", strconv.Itoa(s.Port), "-U", "postgres", "-At", "-c", "SHOW data_directory").CombinedOutput()
		if err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		if got := strings.TrimSpace(string(out)); got != data {
			return fmt.Errorf("port %d answered by the cluster in %s", s.Port, got)
		}
		return nil
	})
	if err != nil {
		_ = os.RemoveAll(dir)
	}
	return s, err
}
