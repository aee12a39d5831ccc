package postgres

import "testing"

func TestNormalize(t *testing.T) {
	cases := []struct{ in, want string }{
		{"SELECT 1", "SELECT ?"},
		{"select  *\n\tfrom t where a = 'x' and b = 12.5e-3;", "select * from t where a = ? and b = ?"},
		{"SELECT 'it''s', E'a\\'b', e'\\\\'", "SELECT ?, ?, ?"},
		{"SELECT B'0101', X'ff', N'nat', U&'d\\0061t'", "SELECT ?, ?, ?, ?"},
		{"SELECT $$a 'b' 1$$, $fn$ x $$ y $fn$", "SELECT ?, ?"},
		{"SELECT * FROM t WHERE id = $1 AND n = $12", "SELECT * FROM t WHERE id = $1 AND n = $12"},
		{"SELECT * FROM t1 JOIN t_2 ON t1.a$b = t_2.c", "SELECT * FROM t1 JOIN t_2 ON t1.a$b = t_2.c"},
		{"SELECT 0x1F, 0o17, 0b101, 1_000_000, .5, 3.", "SELECT ?, ?, ?, ?, ?, ?"},
		{"SELECT TRUE, NULL, false", "SELECT TRUE, NULL, false"},
		{`SELECT "Weird ""id"" 1" FROM "t"`, `SELECT "Weird ""id"" 1" FROM "t"`},
		{"SELECT 1 -- secret 42\n, 2 /* nested /* 7 */ 'x' */", "SELECT ? , ?"},
		{"WHERE id IN (1, 2, 3) AND x in ('a','b')", "WHERE id IN (?) AND x in (?)"},
		{"JOIN (1, 2)", "JOIN (?, ?)"},
		{"SELECT a-1, -5, x::int[]", "SELECT a-?, -?, x::int[]"},
		{"INSERT INTO t VALUES ('unterminated", "INSERT INTO t VALUES (?"},
		{"SELECT $x$ unterminated 42", "SELECT ?"},
		{`SELECT "unterminated 'secret'`, "SELECT ?"},
		{"SELECT 1e", "SELECT ?e"},
		{"SELECT 'é', naïve", "SELECT ?, naïve"},
		{"  ", ""},
		{"END;", "END"},
	}
	for _, c := range cases {
		if got := Normalize(c.in); got != c.want {
			t.Errorf("Normalize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	long := "SELECT " + string(make([]byte, 0))
	for len(long) < 5000 {
		long += "col, "
	}
	if got := Normalize(long); len(got) != maxStatement {
		t.Errorf("length %d", len(got))
	}
}

func TestSplitStatements(t *testing.T) {
	parts, ok := splitStatements("BEGIN; SELECT 'a;b', $$;$$, \"x;y\" -- ;\n; /* ; */ ;; COMMIT;")
	if !ok || len(parts) != 3 || parts[1] != "SELECT 'a;b', $$;$$, \"x;y\" -- ;" || parts[2] != "COMMIT" {
		t.Fatalf("%q %v", parts, ok)
	}
	if _, ok := splitStatements("CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1; END"); ok {
		t.Fatal("BEGIN ATOMIC split")
	}
}

func TestTagInfo(t *testing.T) {
	for tag, want := range map[string]int64{"SELECT 5": 5, "INSERT 0 1": 1, "UPDATE 3": 3, "DELETE 0": 0, "COPY 2": 2, "MERGE 4": 4,
		"FETCH 10": 10, "MOVE 1": 1, "CREATE TABLE": -1, "BEGIN": -1, "SELECT": -1, "SELECT x": -1} {
		if _, rows := tagInfo(tag); rows != want {
			t.Errorf("%q: %d, want %d", tag, rows, want)
		}
	}
}
