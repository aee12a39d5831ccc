package postgres

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// summary is "OPERATION rows=N" (plus the SQLSTATE or the reason) counted.
func summary(xs []Exchange) map[string]int {
	m := map[string]int{}
	for _, x := range xs {
		k := fmt.Sprintf("%s rows=%d", x.Operation, x.Rows)
		if x.SQLState != "" {
			k += " " + x.SQLState
		}
		if x.Incomplete {
			k += " incomplete: " + x.Reason
		}
		m[k]++
	}
	return m
}

func checkSummary(t *testing.T, got []Exchange, want map[string]int) {
	t.Helper()
	s := summary(got)
	var bad []string
	for k, n := range want {
		if s[k] != n {
			bad = append(bad, fmt.Sprintf("%q: got %d, want %d", k, s[k], n))
		}
	}
	for k, n := range s {
		if _, ok := want[k]; !ok {
			bad = append(bad, fmt.Sprintf("unexpected %q x%d", k, n))
		}
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		t.Errorf("exchanges:\n%s", strings.Join(bad, "\n"))
	}
}

func TestReplayPsql(t *testing.T) {
	got, ps := replay(loadFixture(t, "psql"), 0, false)
	want := []string{ // statement, tag, SQLSTATE
		"CREATE TABLE t (id int PRIMARY KEY, name text)|CREATE TABLE|",
		"INSERT INTO t VALUES (?, ?), (?, ?)|INSERT 0 2|",
		"SELECT * FROM t WHERE id = ?|SELECT 1|",
		"UPDATE t SET name = ? WHERE id IN (?)|UPDATE 2|",
		"SELECT ?/?||22012",
		"INSERT INTO t VALUES (?, ?)||23505",
		// One Query with three statements, split at the semicolons.
		"SELECT ?|SELECT 1|",
		"SELECT ? AS s|SELECT 1|",
		"UPDATE t SET name = ? WHERE id = ?|UPDATE 1|",
		"COPY t FROM STDIN|COPY 2|",
		// The 5 KB literal was cut by the 1 KiB capture: what was seen.
		"INSERT INTO t VALUES (?, ?|INSERT 0 1|",
		// Its 5 KB answer hid CommandComplete and ReadyForQuery: the
		// query and the next one cannot be matched.
		"SELECT name FROM t WHERE id = ?||",
		"DELETE FROM t||",
		"DROP TABLE t|DROP TABLE|",
	}
	if len(got) != len(want) {
		t.Fatalf("%d exchanges, want %d", len(got), len(want))
	}
	for i, x := range got {
		if s := x.Statement + "|" + x.CommandTag + "|" + x.SQLState; s != want[i] {
			t.Errorf("exchange %d: %q, want %q", i, s, want[i])
		}
		if x.User != "postgres" || x.Database != "postgres" || x.Prepared || x.RequestDir != 1 {
			t.Errorf("exchange %d: %+v", i, x)
		}
		if x.Incomplete != (i == 11 || i == 12) {
			t.Errorf("exchange %d: incomplete %v %q", i, x.Incomplete, x.Reason)
		}
		if x.ResponseBytes > 0 && x.ResponseEnd < x.RequestStart {
			t.Errorf("exchange %d: response before request", i)
		}
	}
	if got[4].Error != "division by zero" || got[2].Rows != 1 || got[1].Rows != 2 || got[9].Rows != 2 {
		t.Errorf("details: %+v %+v", got[4], got[2])
	}
	if ps[0].State() != StatePostgres {
		t.Errorf("state %v", ps[0].State())
	}
}

func TestReplayScram(t *testing.T) {
	got, _ := replay(loadFixture(t, "psql_scram"), 0, false)
	if len(got) != 1 || got[0].Statement != "SELECT ? AS answer" || got[0].Rows != 1 || got[0].Incomplete {
		t.Fatalf("%+v", got)
	}
}

// pgbench's setup queries (scale, partitioning), then 50 TPC-B-like
// transactions of 7 statements.
func pgbenchWant() map[string]int {
	w := map[string]int{"BEGIN rows=-1": 50, "COMMIT rows=-1": 50, "UPDATE rows=1": 150, "INSERT rows=1": 50, "SELECT rows=1": 52}
	return w
}

func TestReplayPgbench(t *testing.T) {
	for _, mode := range []string{"simple", "extended", "prepared"} {
		t.Run(mode, func(t *testing.T) {
			got, _ := replay(loadFixture(t, "pgbench_"+mode), 0, false)
			checkSummary(t, got, pgbenchWant())
			stmts := map[string]int{}
			for _, x := range got {
				if x.Prepared != (mode != "simple" && !strings.HasPrefix(x.Statement, "select")) {
					t.Errorf("prepared %v: %q", x.Prepared, x.Statement)
				}
				if mode == "prepared" && x.Prepared {
					stmts[x.StatementName+" "+x.Statement]++
				}
			}
			if mode == "prepared" {
				want := map[string]int{
					"P_0 BEGIN": 50,
					"P_1 UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2":                                  50,
					"P_2 SELECT abalance FROM pgbench_accounts WHERE aid = $1":                                                 50,
					"P_3 UPDATE pgbench_tellers SET tbalance = tbalance + $1 WHERE tid = $2":                                   50,
					"P_4 UPDATE pgbench_branches SET bbalance = bbalance + $1 WHERE bid = $2":                                  50,
					"P_5 INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)": 50,
					"P_6 END": 50,
				}
				if fmt.Sprint(stmts) != fmt.Sprint(want) {
					t.Errorf("statements %v", stmts)
				}
			}
		})
	}
}

// TestReplayPgbenchJoined starts the prepared run in the middle: the
// statements were prepared before capture.
func TestReplayPgbenchJoined(t *testing.T) {
	steps := loadFixture(t, "pgbench_prepared")
	var conn1 []step
	for _, s := range steps {
		if s.conn == 1 {
			conn1 = append(conn1, s)
		}
	}
	// Join at a client write after the first 20 transactions.
	k := len(conn1) / 3
	for conn1[k].dir != 1 {
		k++
	}
	got, ps := replay(conn1[k:], 0, true)
	if ps[1].State() != StatePostgres {
		t.Fatalf("state %v", ps[1].State())
	}
	for _, x := range got {
		if !x.Incomplete || x.Reason != "statement prepared before capture" || x.Statement != "" || x.CommandTag == "" {
			t.Fatalf("%+v", x)
		}
	}
	if len(got) < 200 {
		t.Fatalf("%d exchanges", len(got))
	}
}

// TestReplayShortCapture cuts every piece further: messages are skipped
// by length, and whatever can no longer be followed comes out incomplete
// or not at all, but no complete exchange is wrong.
func TestReplayShortCapture(t *testing.T) {
	for _, name := range []string{"psql", "pgbench_simple", "pgbench_extended", "pgbench_prepared"} {
		full, _ := replay(loadFixture(t, name), 0, false)
		// Statements of one Query share its start: key by start and order.
		key := func(xs []Exchange) []string {
			n := map[uint64]int{}
			var ks []string
			for _, x := range xs {
				ks = append(ks, fmt.Sprint(x.RequestStart, "/", n[x.RequestStart]))
				n[x.RequestStart]++
			}
			return ks
		}
		byStart := map[string]Exchange{}
		for i, k := range key(full) {
			byStart[k] = full[i]
		}
		for _, capture := range []int{16, 40, 128, 512} {
			short, _ := replay(loadFixture(t, name), capture, false)
			complete := 0
			keys := key(short)
			for i, s := range short {
				if s.Incomplete {
					continue
				}
				complete++
				f, ok := byStart[keys[i]]
				if !ok || s.CommandTag != f.CommandTag || s.Rows != f.Rows || s.SQLState != f.SQLState ||
					!strings.HasPrefix(f.Statement, strings.TrimRight(strings.TrimSuffix(s.Statement, "?"), " ")) {
					t.Errorf("%s/%d: %+v\nfull: %+v", name, capture, s, f)
				}
			}
			t.Logf("%s, %d bytes captured: %d exchanges, %d complete (%d in full)", name, capture, len(short), complete, len(full))
		}
	}
}
