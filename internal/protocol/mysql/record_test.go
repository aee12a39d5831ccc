package mysql

import (
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/reassembly"
	"github.com/vigil-dev/vigil/internal/testserver"
)

// TestRecord starts a throwaway MariaDB, drives it through a recording
// proxy with the mariadb client and with a small binary-protocol client,
// and checks the recordings like the committed fixtures. With
// VIGIL_RECORD=1 it rewrites testdata/*.jsonl.
func TestRecord(t *testing.T) {
	for _, bin := range []string{"mariadbd", "mariadb-install-db", "mariadb"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("MariaDB is not installed (%s not found): replay tests use the committed fixtures", bin)
		}
	}
	addr := startMariaDB(t)
	rec := func(name string, drive func(proxy string) error) []step {
		steps, err := recordConn(addr, drive)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if os.Getenv("VIGIL_RECORD") == "1" {
			saveFixture(t, filepath.Join("testdata", name+".jsonl"), steps)
		}
		return steps
	}
	cli := rec("client", func(proxy string) error {
		host, port, _ := net.SplitHostPort(proxy)
		sql := "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(64), big MEDIUMTEXT);" +
			"INSERT INTO t (id, name) VALUES (1, 'one'), (2, 'two'), (3, 'three');" +
			"SELECT id, name FROM t WHERE id >= 1 ORDER BY id;" +
			"UPDATE t SET big = REPEAT('x', 5000) WHERE id = 2;" +
			"SELECT big FROM t WHERE id = 2;" +
			"SELECT 1; SELECT 'a' AS s UNION ALL SELECT 'b';"
		out, err := exec.Command("mariadb", "--no-defaults", "--protocol=tcp", "-h", host, "-P", port,
			"-u", "vigil", "-pvigilpw", "--skip-ssl", "vigiltest", "-e", sql).CombinedOutput()
		if err != nil {
			return fmt.Errorf("mariadb: %v: %s", err, out)
		}
		return nil
	})
	checkClientFixture(t, cli)
	errs := rec("client_errors", func(proxy string) error {
		host, port, _ := net.SplitHostPort(proxy)
		// --force: go on after an error.
		cmd := exec.Command("mariadb", "--no-defaults", "--protocol=tcp", "-h", host, "-P", port,
			"-u", "vigil", "-pvigilpw", "--skip-ssl", "--force", "vigiltest")
		cmd.Stdin = strings.NewReader("INSERT INTO t (id, name) VALUES (1, 'dup');\nSELECT * FROM missing_table;\nSELECT COUNT(*) FROM t;\n")
		out, _ := cmd.CombinedOutput()
		if !strings.Contains(string(out), "1062") {
			return fmt.Errorf("expected a duplicate key error, got %s", out)
		}
		return nil
	})
	checkErrorsFixture(t, errs)
	stmt := rec("stmt", func(proxy string) error { return binaryClient(proxy, false) })
	checkStmtFixture(t, stmt, false)
	stmtEOF := rec("stmt_deprecate_eof", func(proxy string) error { return binaryClient(proxy, true) })
	checkStmtFixture(t, stmtEOF, true)
}

// startMariaDB runs a server on a fresh datadir with the test user
// (mysql_native_password) until the test ends.
func startMariaDB(t *testing.T) string {
	return testserver.ForTest(t, func() (*testserver.Server, error) { return testserver.MariaDB() }).Addr()
}

// recordConn proxies one client connection to the server and records every
// read of either side as a piece of the client's direction.
func recordConn(server string, drive func(proxy string) error) ([]step, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer l.Close()
	var (
		mu    sync.Mutex
		steps []step
		wg    sync.WaitGroup
		t0    = time.Now()
	)
	l.(*net.TCPListener).SetDeadline(time.Now().Add(30 * time.Second))
	pipe := func(dst, src net.Conn, dir reassembly.Direction) {
		defer wg.Done()
		buf := make([]byte, 64<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				mu.Lock()
				ts := uint64(time.Since(t0))
				steps = append(steps, step{dir, reassembly.Piece{Data: append([]byte(nil), buf[:n]...), Start: ts, End: ts + 1000}})
				mu.Unlock()
				if _, err := dst.Write(buf[:n]); err != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		if tc, ok := dst.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
	}
	done := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			done <- err
			return
		}
		s, err := net.Dial("tcp", server)
		if err != nil {
			c.Close()
			done <- err
			return
		}
		wg.Add(2)
		go pipe(s, c, reassembly.Egress)
		go pipe(c, s, reassembly.Ingress)
		wg.Wait()
		c.Close()
		s.Close()
		done <- nil
	}()
	if err := drive(l.Addr().String()); err != nil {
		return nil, err
	}
	if err := <-done; err != nil {
		return nil, err
	}
	return steps, nil
}

// binaryClient logs in with mysql_native_password and runs prepared
// statements over COM_STMT_PREPARE / EXECUTE / RESET / CLOSE.
func binaryClient(addr string, deprecateEOF bool) error {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	c := &miniConn{c: conn}
	greet, err := c.read()
	if err != nil {
		return err
	}
	_, rest, _ := cstring(greet[1:])
	salt := append([]byte(nil), rest[4:12]...)
	salt = append(salt, rest[31:31+12]...)
	caps := uint32(capProtocol41 | capSecureConn | capPluginAuth | capConnectWithDB | 1<<13 /* transactions */ | 1<<17 /* multi results */)
	if deprecateEOF {
		caps |= capDeprecateEOF
	}
	resp := binary.LittleEndian.AppendUint32(nil, caps)
	resp = binary.LittleEndian.AppendUint32(resp, 1<<24)
	resp = append(resp, 45)
	resp = append(resp, make([]byte, 23)...)
	resp = append(append(resp, "vigil"...), 0)
	scr := scramble([]byte("vigilpw"), salt)
	resp = append(append(resp, byte(len(scr))), scr...)
	resp = append(append(resp, "vigiltest"...), 0)
	resp = append(append(resp, "mysql_native_password"...), 0)
	c.seq = 1
	if err := c.write(resp); err != nil {
		return err
	}
	for {
		b, err := c.read()
		if err != nil {
			return err
		}
		switch b[0] {
		case 0x00:
		case 0xfe: // auth switch
			_, data, _ := cstring(b[1:])
			if err := c.write(scramble([]byte("vigilpw"), data[:20])); err != nil {
				return err
			}
			continue
		default:
			return fmt.Errorf("login: % x", b)
		}
		break
	}
	if _, err := c.command(append([]byte{comQuery}, "CREATE OR REPLACE TABLE p (id BIGINT PRIMARY KEY, name VARBINARY(64))"...), false, deprecateEOF); err != nil {
		return err
	}
	prep := func(sql string) (uint32, error) {
		b, err := c.command(append([]byte{comStmtPrepare}, sql...), true, deprecateEOF)
		if err != nil {
			return 0, err
		}
		return binary.LittleEndian.Uint32(b[1:]), nil
	}
	exec := func(id uint32, n int64, s string) error {
		b := []byte{comStmtExecute}
		b = binary.LittleEndian.AppendUint32(b, id)
		b = append(b, 0, 1, 0, 0, 0) // no cursor, iteration count 1
		b = append(b, 0, 1, 0x08, 0x00, 0xfd, 0x00)
		b = binary.LittleEndian.AppendUint64(b, uint64(n))
		b = append(append(b, byte(len(s))), s...)
		_, err := c.command(b, false, deprecateEOF)
		return err
	}
	ins, err := prep("INSERT INTO p (id, name) VALUES (?, ?)")
	if err != nil {
		return err
	}
	for i := range 20 {
		if err := exec(ins, int64(i), fmt.Sprintf("name-%d\x00\xff", i)); err != nil {
			return err
		}
	}
	sel, err := prep("SELECT id, name FROM p WHERE id >= ? AND name <> ?")
	if err != nil {
		return err
	}
	for i := range 20 {
		if err := exec(sel, int64(i), "zz"); err != nil {
			return err
		}
	}
	if _, err := c.command(binary.LittleEndian.AppendUint32([]byte{comStmtReset}, sel), false, deprecateEOF); err != nil {
		return err
	}
	if err := exec(ins, 5, "dup"); err == nil || !strings.Contains(err.Error(), "1062") {
		return fmt.Errorf("duplicate insert: %v", err)
	}
	for _, id := range []uint32{ins, sel} {
		c.seq = 0
		if err := c.write(binary.LittleEndian.AppendUint32([]byte{comStmtClose}, id)); err != nil {
			return err
		}
	}
	if _, err := c.command([]byte{0x0e}, false, deprecateEOF); err != nil { // ping
		return err
	}
	c.seq = 0
	return c.write([]byte{comQuit})
}

func scramble(pw, salt []byte) []byte {
	h1 := sha1.Sum(pw)
	h2 := sha1.Sum(h1[:])
	h := sha1.New()
	h.Write(salt)
	h.Write(h2[:])
	out := h.Sum(nil)
	for i := range out {
		out[i] ^= h1[i]
	}
	return out
}

type miniConn struct {
	c   net.Conn
	seq byte
}

func (m *miniConn) read() ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(m.c, h[:]); err != nil {
		return nil, err
	}
	b := make([]byte, int(h[0])|int(h[1])<<8|int(h[2])<<16)
	_, err := io.ReadFull(m.c, b)
	m.seq = h[3] + 1
	return b, err
}

func (m *miniConn) write(b []byte) error {
	h := []byte{byte(len(b)), byte(len(b) >> 8), byte(len(b) >> 16), m.seq}
	m.seq++
	_, err := m.c.Write(append(h, b...))
	return err
}

// command sends a command and reads its whole response, returning the
// first packet.
func (m *miniConn) command(b []byte, prepare, deprecateEOF bool) ([]byte, error) {
	m.seq = 0
	if err := m.write(b); err != nil {
		return nil, err
	}
	first, err := m.read()
	if err != nil {
		return nil, err
	}
	skip := func(n int) error {
		for ; n > 0; n-- {
			if _, err := m.read(); err != nil {
				return err
			}
		}
		return nil
	}
	switch {
	case first[0] == 0xff:
		return nil, errors.New(fmt.Sprint("error ", binary.LittleEndian.Uint16(first[1:]), " ", string(first[3:])))
	case first[0] == 0x00 && prepare:
		cols, params := int(binary.LittleEndian.Uint16(first[5:])), int(binary.LittleEndian.Uint16(first[7:]))
		for _, n := range []int{params, cols} {
			if n > 0 && !deprecateEOF {
				n++
			}
			if err := skip(n); err != nil {
				return nil, err
			}
		}
	case first[0] == 0x00:
	default:
		n, _, _ := lenenc(first)
		if !deprecateEOF {
			n++
		}
		if err := skip(int(n)); err != nil {
			return nil, err
		}
		for {
			r, err := m.read()
			if err != nil {
				return nil, err
			}
			if r[0] == 0xfe && len(r) < maxPayload {
				break
			}
		}
	}
	return first, nil
}
