package mysql

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// summary is an exchange in one line, for exact comparisons.
func summary(x Exchange) string {
	s := fmt.Sprintf("%s %q rows=%d", x.Command, x.Statement, x.Rows)
	if x.StatementID != 0 {
		s += fmt.Sprintf(" id=%d", x.StatementID)
	}
	if x.ErrorCode != 0 {
		s += fmt.Sprintf(" err=%d/%s", x.ErrorCode, x.SQLState)
	}
	if x.Incomplete {
		s += " incomplete: " + x.Reason
	}
	return s
}

func expect(t *testing.T, name string, got []Exchange, want []string) {
	t.Helper()
	var s []string
	for _, x := range got {
		s = append(s, summary(x))
		if x.User != "vigil" || x.Database != "vigiltest" || x.RequestDir != 1 {
			t.Errorf("%s: user %q database %q dir %v", name, x.User, x.Database, x.RequestDir)
		}
		if x.RequestBytes <= 0 || x.RequestEnd < x.RequestStart || x.ResponseBytes > 0 && (x.ResponseStart < x.RequestStart || x.ResponseEnd < x.ResponseStart) {
			t.Errorf("%s: sizes or times: %+v", name, x)
		}
	}
	if !slices.Equal(s, want) {
		t.Errorf("%s:\ngot  %s\nwant %s", name, strings.Join(s, "\n     "), strings.Join(want, "\n     "))
	}
}

func checkClientFixture(t *testing.T, steps []step) {
	want := []string{
		`COM_QUERY "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(?), big MEDIUMTEXT)" rows=0`,
		`COM_QUERY "INSERT INTO t (id, name) VALUES (?, ?), (?, ?), (?, ?)" rows=3`,
		`COM_QUERY "SELECT id, name FROM t WHERE id >= ? ORDER BY id" rows=3`,
		`COM_QUERY "UPDATE t SET big = REPEAT(?, ?) WHERE id = ?" rows=1`,
		`COM_QUERY "SELECT big FROM t WHERE id = ?" rows=1`,
		`COM_QUERY "SELECT ?" rows=1`,
		`COM_QUERY "SELECT ? AS s UNION ALL SELECT ?" rows=2`,
		`COM_QUIT "" rows=-1`,
	}
	got, p := replay(steps, false)
	expect(t, "full capture", got, want)
	if p.State() != StateCommand || len(p.Stats.Errors) != 0 {
		t.Errorf("state %v stats %v", p.State(), p.Stats)
	}
	// Captured 1 KiB per syscall: the 5000-byte value hides the framing of
	// its response, which is then counted, not parsed.
	want[4] = `COM_QUERY "SELECT big FROM t WHERE id = ?" rows=-1 incomplete: response framing lost`
	got, _ = replay(capture(steps, 1024), false)
	expect(t, "1 KiB capture", got, want)
	if got[4].ResponseBytes < 5000 {
		t.Errorf("lost response bytes %d", got[4].ResponseBytes)
	}
}

func checkErrorsFixture(t *testing.T, steps []step) {
	want := []string{
		`COM_QUERY "INSERT INTO t (id, name) VALUES (?, ?)" rows=-1 err=1062/23000`,
		`COM_QUERY "SELECT * FROM missing_table" rows=-1 err=1146/42S02`,
		`COM_QUERY "SELECT COUNT(*) FROM t" rows=1`,
		`COM_QUIT "" rows=-1`,
	}
	for _, lim := range []int{1 << 30, 1024} {
		got, _ := replay(capture(steps, lim), false)
		expect(t, fmt.Sprint("capture ", lim), got, want)
		if !strings.HasPrefix(got[0].Error, "Duplicate entry '1' for key") {
			t.Errorf("error message %q", got[0].Error)
		}
	}
}

// stmtWant is the binary client's run; statement ids are the server's,
// global, so they are taken from the recording.
func stmtWant(ins, sel uint32) []string {
	insq := `"INSERT INTO p (id, name) VALUES (?, ?)"`
	selq := `"SELECT id, name FROM p WHERE id >= ? AND name <> ?"`
	want := []string{`COM_QUERY "CREATE OR REPLACE TABLE p (id BIGINT PRIMARY KEY, name VARBINARY(?))" rows=0`,
		fmt.Sprintf(`COM_STMT_PREPARE %s rows=-1 id=%d`, insq, ins)}
	for range 20 {
		want = append(want, fmt.Sprintf(`COM_STMT_EXECUTE %s rows=1 id=%d`, insq, ins))
	}
	want = append(want, fmt.Sprintf(`COM_STMT_PREPARE %s rows=-1 id=%d`, selq, sel))
	for i := range 20 {
		want = append(want, fmt.Sprintf(`COM_STMT_EXECUTE %s rows=%d id=%d`, selq, 20-i, sel))
	}
	return append(want, fmt.Sprintf(`COM_STMT_RESET %s rows=0 id=%d`, selq, sel),
		fmt.Sprintf(`COM_STMT_EXECUTE %s rows=-1 id=%d err=1062/23000`, insq, ins),
		fmt.Sprintf(`COM_STMT_CLOSE %s rows=-1 id=%d`, insq, ins),
		fmt.Sprintf(`COM_STMT_CLOSE %s rows=-1 id=%d`, selq, sel),
		`COM_PING "" rows=0`,
		`COM_QUIT "" rows=-1`)
}

func checkStmtFixture(t *testing.T, steps []step, deprecate bool) {
	for _, lim := range []int{1 << 30, 1024} {
		got, p := replay(capture(steps, lim), false)
		if len(got) < 23 {
			t.Fatalf("%d exchanges", len(got))
		}
		want := stmtWant(got[1].StatementID, got[22].StatementID)
		expect(t, fmt.Sprint("capture ", lim), got, want)
		if p.deprecateEOF != deprecate || len(p.Stats.Errors) != 0 {
			t.Errorf("deprecate EOF %v, stats %v", p.deprecateEOF, p.Stats)
		}
	}
}

func TestReplay(t *testing.T) {
	checkClientFixture(t, loadFixture(t, filepath.Join("testdata", "client.jsonl")))
	checkErrorsFixture(t, loadFixture(t, filepath.Join("testdata", "client_errors.jsonl")))
	checkStmtFixture(t, loadFixture(t, filepath.Join("testdata", "stmt.jsonl")), false)
	checkStmtFixture(t, loadFixture(t, filepath.Join("testdata", "stmt_deprecate_eof.jsonl")), true)
}

// TestReplayJoined starts the stmt recording at every syscall after the
// handshake, as a connection found mid-way: whatever is emitted must be a
// suffix of the full run's exchanges, except executions of statements
// prepared before the start, which say so.
func TestReplayJoined(t *testing.T) {
	for _, name := range []string{"stmt", "stmt_deprecate_eof", "client"} {
		steps := loadFixture(t, filepath.Join("testdata", name+".jsonl"))
		full, _ := replay(steps, false)
		var all []string
		for _, x := range full {
			all = append(all, summary(x))
		}
		for i := 4; i < len(steps); i++ {
			got, _ := replay(steps[i:], true)
			for _, x := range got {
				s := summary(x)
				if x.Statement == "" && strings.HasPrefix(x.Command, "COM_STMT_") {
					if x.Command == "COM_STMT_EXECUTE" && x.Reason != "statement prepared before capture" {
						t.Fatalf("%s from %d: %s", name, i, s)
					}
					continue
				}
				if !slices.Contains(all[len(all)-len(got):], s) && !x.Incomplete {
					t.Fatalf("%s from %d: %s not in the full run", name, i, s)
				}
			}
			if len(got) > 0 && got[len(got)-1].Command != "COM_QUIT" {
				t.Fatalf("%s from %d: last %s", name, i, summary(got[len(got)-1]))
			}
		}
	}
}
