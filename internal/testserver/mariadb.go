package testserver

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// MariaDB user, password and database that MariaDB creates.
const (
	MariaDBUser     = "vigil"
	MariaDBPassword = "vigilpw"
	MariaDBDatabase = "vigiltest"
)

// MariaDB starts a server on a fresh datadir with user vigil
// (mysql_native_password) owning database vigiltest; options are extra
// server options ("--ssl-cert=...").
func MariaDB(options ...string) (*Server, error) {
	if err := need("mariadb-server mariadb-client", "mariadbd", "mariadb-install-db", "mariadb"); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "vigil-mysql-")
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if out, err := exec.Command("mariadb-install-db", "--no-defaults", "--datadir="+data, "--user=root",
		"--auth-root-authentication-method=normal").CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("mariadb-install-db: %w\n%s", err, out)
	}
	sock := filepath.Join(dir, "sock")
	// 'localhost' too: the anonymous ''@'localhost' would match first.
	setup := "CREATE DATABASE " + MariaDBDatabase + ";"
	for _, h := range []string{"localhost", "%"} {
		user := "'" + MariaDBUser + "'@'" + h + "'"
		setup += "CREATE USER " + user + " IDENTIFIED VIA mysql_native_password USING PASSWORD('" + MariaDBPassword + "');" +
			"GRANT ALL ON " + MariaDBDatabase + ".* TO " + user + ";"
	}
	// Ready is asked through this server's own socket; a server whose TCP
	// port was taken exits and is started on another.
	s, err := launch("MariaDB", dir, 30*time.Second, os.Kill, FreePort, func(port int) *exec.Cmd {
		args := []string{"--no-defaults", "--datadir=" + data, "--socket=" + sock, "--user=root",
			"--port=" + strconv.Itoa(port), "--bind-address=127.0.0.1", "--skip-log-bin", "--innodb-buffer-pool-size=16M",
			"--pid-file=" + filepath.Join(dir, "pid"), "--log-error=" + filepath.Join(dir, "err.log")}
		return exec.Command("mariadbd", append(args, options...)...)
	}, func(*Server) error {
		out, err := exec.Command("mariadb", "--no-defaults", "-uroot", "--socket="+sock, "-e", setup).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		return nil
	})
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "err.log"))
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("%w\n%s", err, log)
	}
	return s, nil
}
