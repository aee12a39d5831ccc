package postgres

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-dev/vigil/internal/reassembly"
)

const (
	in  = reassembly.Ingress
	out = reassembly.Egress
)

// m builds a typed message.
func m(typ byte, body string) string {
	b := make([]byte, 5)
	b[0] = typ
	binary.BigEndian.PutUint32(b[1:], uint32(len(body)+4))
	return string(b) + body
}

func startup(params ...string) string {
	body := "\x00\x03\x00\x00" + strings.Join(params, "\x00") + "\x00\x00"
	b := make([]byte, 4)
	binary.BigEndian.PutUint32(b, uint32(len(body)+4))
	return string(b) + body
}

func sslRequest() string { return "\x00\x00\x00\x08\x04\xd2\x16\x2f" }

var (
	authOK = m('R', "\x00\x00\x00\x00") + m('S', "server_version\x0015\x00") + m('K', "\x00\x00\x00\x01\x00\x00\x00\x02") + m('Z', "I")
	ready  = m('Z', "I")
)

func cc(tag string) string { return m('C', tag+"\x00") }
func errResp(code, msg string) string {
	return m('E', "SERROR\x00VERROR\x00C"+code+"\x00M"+msg+"\x00\x00")
}

// wire is one syscall: direction, captured data, bytes not captured, bytes
// lost before it.
type wire struct {
	dir     reassembly.Direction
	data    string
	skipped int
	lost    uint64
}

func feed(joined bool, steps []wire) ([]Exchange, *Parser) {
	var got []Exchange
	p := NewParser(func(x Exchange) { got = append(got, x) }, joined)
	for i, s := range steps {
		ts := uint64(i+1) * 1000
		p.Feed(s.dir, reassembly.Piece{Lost: s.lost, Data: []byte(s.data), Skipped: s.skipped, Start: ts, End: ts + 10})
	}
	p.Close()
	return got, p
}

func short(x Exchange) string {
	s := fmt.Sprintf("%s %q %s rows=%d", x.Operation, x.Statement, x.StatementName, x.Rows)
	if x.SQLState != "" {
		s += " " + x.SQLState
	}
	if x.Incomplete {
		s += " incomplete: " + x.Reason
	}
	return s
}

func TestParser(t *testing.T) {
	start := []wire{{out, startup("user", "u", "database", "d"), 0, 0}, {in, authOK, 0, 0}}
	with := func(ws ...wire) []wire { return append(append([]wire{}, start...), ws...) }
	parse := func(name, sql string) string { return m('P', name+"\x00"+sql+"\x00\x00\x00") }
	bind := func(portal, name string) string { return m('B', portal+"\x00"+name+"\x00\x00\x00\x00\x00\x00\x00") }
	exec := func(portal string) string { return m('E', portal+"\x00\x00\x00\x00\x00") }
	sync := m('S', "")
	cases := []struct {
		name   string
		joined bool
		steps  []wire
		want   []string
		state  State
	}{
		{name: "simple", steps: with(wire{out, m('Q', "SELECT 1\x00"), 0, 0}, wire{in, m('T', "\x00\x00") + m('D', "\x00\x00") + cc("SELECT 1") + ready, 0, 0}),
			want: []string{`SELECT "SELECT ?"  rows=1`}, state: StatePostgres},
		{name: "header split byte by byte", steps: append(with(), splitEvery(out, m('Q', "DELETE FROM t WHERE a = 'x'\x00"), 1)...,
		), want: []string{`DELETE "DELETE FROM t WHERE a = ?"  rows=-1 incomplete: connection closed before the response`}},
		{name: "response split", steps: with(wire{out, m('Q', "UPDATE t SET a = 1\x00"), 0, 0}, wire{in, cc("UPDATE 7")[:3], 0, 0}, wire{in, cc("UPDATE 7")[3:] + ready, 0, 0}),
			want: []string{`UPDATE "UPDATE t SET a = ?"  rows=7`}},
		{name: "multi statement", steps: with(wire{out, m('Q', "BEGIN; INSERT INTO t VALUES ('a;b'); COMMIT\x00"), 0, 0},
			wire{in, cc("BEGIN") + cc("INSERT 0 1") + cc("COMMIT") + ready, 0, 0}),
			want: []string{`BEGIN "BEGIN"  rows=-1`, `INSERT "INSERT INTO t VALUES (?)"  rows=1`, `COMMIT "COMMIT"  rows=-1`}},
		{name: "multi statement error stops it", steps: with(wire{out, m('Q', "SELECT 1/0; SELECT 2\x00"), 0, 0},
			wire{in, errResp("22012", "division by zero") + ready, 0, 0}),
			want: []string{`SELECT "SELECT ?/?"  rows=-1 22012`}},
		{name: "empty query", steps: with(wire{out, m('Q', "\x00"), 0, 0}, wire{in, m('I', "") + ready, 0, 0}),
			want: []string{` ""  rows=-1`}},
		{name: "pipelined extended with error", steps: with(
			wire{out, parse("", "SELECT $1") + bind("", "") + m('D', "P\x00") + exec("") + parse("", "INSERT INTO t VALUES ($1)") + bind("", "") + exec("") + parse("", "SELECT 3") + bind("", "") + exec("") + sync, 0, 0},
			wire{in, m('1', "") + m('2', "") + m('T', "\x00\x00") + m('D', "\x00\x00") + cc("SELECT 1") + m('1', "") + m('2', "") + errResp("23505", "duplicate key") + ready, 0, 0}),
			want: []string{`SELECT "SELECT $1"  rows=1`, `INSERT "INSERT INTO t VALUES ($1)"  rows=-1 23505`}},
		{name: "parse error", steps: with(wire{out, parse("s1", "SELEC 1") + bind("", "s1") + exec("") + sync, 0, 0}, wire{in, errResp("42601", "syntax error") + ready, 0, 0}),
			want: []string{`SELEC "SELEC ?" s1 rows=-1 42601`}},
		{name: "prepared remembered and closed", steps: with(
			wire{out, parse("s1", "SELECT * FROM t WHERE id = $1") + sync, 0, 0}, wire{in, m('1', "") + ready, 0, 0},
			wire{out, bind("", "s1") + exec("") + sync, 0, 0}, wire{in, m('2', "") + cc("SELECT 2") + ready, 0, 0},
			wire{out, m('C', "Ss1\x00") + sync, 0, 0}, wire{in, m('3', "") + ready, 0, 0},
			wire{out, bind("", "s1") + exec("") + sync, 0, 0}, wire{in, errResp("26000", "prepared statement \"s1\" does not exist") + ready, 0, 0}),
			want: []string{`SELECT "SELECT * FROM t WHERE id = $1" s1 rows=2`, ` ""  rows=-1 26000`}},
		{name: "portal suspended", steps: with(wire{out, parse("", "SELECT x FROM t") + bind("c", "") + exec("c") + m('H', ""), 0, 0}, wire{in, m('1', "") + m('2', "") + m('D', "\x00\x00") + m('s', ""), 0, 0}),
			want: []string{`SELECT "SELECT x FROM t"  rows=-1`}},
		{name: "copy in", steps: with(wire{out, m('Q', "COPY t FROM STDIN\x00"), 0, 0}, wire{in, m('G', "\x00\x00\x00"), 0, 0},
			wire{out, m('d', strings.Repeat("1\tx\n", 2000))[:1024], 8005 - 1024, 0}, wire{out, m('c', ""), 0, 0}, wire{in, cc("COPY 1") + ready, 0, 0}),
			want: []string{`COPY "COPY t FROM STDIN"  rows=1`}},
		{name: "copy out", steps: with(wire{out, m('Q', "COPY t TO STDOUT\x00"), 0, 0}, wire{in, m('H', "\x00\x00\x00") + m('d', "abc") + m('c', "") + cc("COPY 1") + ready, 0, 0}),
			want: []string{`COPY "COPY t TO STDOUT"  rows=1`}},
		{name: "notice and parameter status between", steps: with(wire{out, m('Q', "SET x = 1\x00"), 0, 0},
			wire{in, m('N', "SNOTICE\x00\x00") + m('S', "x\x001\x00") + cc("SET") + m('A', "\x00\x00\x00\x01c\x00p\x00") + ready, 0, 0}),
			want: []string{`SET "SET x = ?"  rows=-1`}},
		{name: "ssl refused", steps: []wire{{out, sslRequest(), 0, 0}, {in, "N", 0, 0}, {out, startup("user", "u"), 0, 0}, {in, authOK, 0, 0},
			{out, m('Q', "SELECT 1\x00"), 0, 0}, {in, cc("SELECT 1") + ready, 0, 0}},
			want: []string{`SELECT "SELECT ?"  rows=1`}, state: StatePostgres},
		{name: "ssl accepted", steps: []wire{{out, sslRequest(), 0, 0}, {in, "S", 0, 0}, {out, "\x16\x03\x01\x00\x10", 0, 0}}, state: StateEncrypted},
		{name: "big row skipped by length", steps: with(wire{out, m('Q', "SELECT b FROM t\x00"), 0, 0},
			wire{in, m('T', "\x00\x00") + m('D', strings.Repeat("x", 3000))[:1024], 3000 + 5 - 1024, 0}, wire{in, cc("SELECT 1") + ready, 0, 0}),
			want: []string{`SELECT "SELECT b FROM t"  rows=1`}},
		{name: "response tail not captured", steps: with(wire{out, m('Q', "SELECT b FROM t\x00"), 0, 0},
			wire{in, (m('D', "xx") + cc("SELECT 1") + ready)[:8], 20, 0}, wire{out, m('Q', "SELECT 2\x00"), 0, 0}, wire{in, cc("SELECT 1") + ready, 0, 0},
			wire{out, m('Q', "SELECT 3\x00"), 0, 0}, wire{in, cc("SELECT 1") + ready, 0, 0}),
			want: []string{`SELECT "SELECT b FROM t"  rows=-1 incomplete: response lost in a capture gap`,
				`SELECT "SELECT ?"  rows=-1 incomplete: response not matched after a capture gap`, `SELECT "SELECT ?"  rows=1`}},
		{name: "lost request: next response not misattributed", steps: with(
			wire{out, "", 0, 30}, wire{in, cc("SELECT 5") + ready, 0, 0},
			wire{out, m('Q', "SELECT 2\x00"), 0, 0}, wire{in, cc("SELECT 1") + ready, 0, 0}),
			want: []string{`SELECT "SELECT ?"  rows=1`}},
		{name: "joined prepared before capture", joined: true, steps: []wire{{out, bind("", "P_1") + exec("") + sync, 0, 0}, {in, m('2', "") + cc("UPDATE 1") + ready, 0, 0}},
			want: []string{`UPDATE "" P_1 rows=1 incomplete: statement prepared before capture`}, state: StatePostgres},
		{name: "joined mid response", joined: true, steps: []wire{{in, "garbage tail of a row", 0, 0}, {in, cc("SELECT 9") + ready, 0, 0},
			{out, m('Q', "SELECT 1\x00"), 0, 0}, {in, cc("SELECT 1") + ready, 0, 0}},
			want: []string{`SELECT "SELECT ?"  rows=1`}},
		{name: "not postgres", steps: []wire{{out, "GET / HTTP/1.1\r\n\r\n", 0, 0}}, state: StateNotPostgres},
		{name: "scram", steps: []wire{{out, startup("user", "u"), 0, 0}, {in, m('R', "\x00\x00\x00\x0aSCRAM-SHA-256\x00\x00"), 0, 0},
			{out, m('p', "SCRAM-SHA-256\x00\x00\x00\x00\x20n,,n=,r=abcdefghijklmnopqrstuvwxyz012345"), 0, 0}, {in, m('R', "\x00\x00\x00\x0br=abc,s=xyz,i=4096"), 0, 0},
			{out, m('p', "c=biws,r=abc,p=proof"), 0, 0}, {in, m('R', "\x00\x00\x00\x0cv=sig") + authOK, 0, 0},
			{out, m('Q', "SELECT 1\x00"), 0, 0}, {in, cc("SELECT 1") + ready, 0, 0}},
			want: []string{`SELECT "SELECT ?"  rows=1`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, p := feed(c.joined, c.steps)
			var s []string
			for _, x := range got {
				s = append(s, short(x))
			}
			if strings.Join(s, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s\nstats %v", strings.Join(s, "\n"), strings.Join(c.want, "\n"), p.Stats.Errors)
			}
			if c.state != StateDetecting && p.State() != c.state {
				t.Errorf("state %v, want %v", p.State(), c.state)
			}
		})
	}
}

func splitEvery(dir reassembly.Direction, s string, n int) []wire {
	var w []wire
	for len(s) > 0 {
		k := min(n, len(s))
		w = append(w, wire{dir, s[:k], 0, 0})
		s = s[k:]
	}
	return w
}

func TestDetect(t *testing.T) {
	cases := []struct {
		data    string
		req, ok bool
	}{
		{startup("user", "u"), true, true},
		{sslRequest(), true, true},
		{"\x00\x00\x00\x08\x04\xd2\x16\x30", true, true}, // GSSENCRequest
		{"\x00\x00\x00\x10\x04\xd2\x16\x2e\x00\x00\x00\x01\x00\x00\x00\x02", true, true},
		{"N", false, true},
		{m('R', "\x00\x00\x00\x05salt"), false, true},
		{m('Q', "SELECT 1\x00"), true, true},
		{m('P', "\x00SELECT 1\x00\x00\x00") + m('S', ""), true, true},
		{m('T', "\x00\x00") + cc("SELECT 0") + ready, false, true},
		{m('D', "\x00\x00"), false, false}, // DataRow or Describe: cannot tell
		{"GET / HTTP/1.1\r\n", false, false},
		{"\x16\x03\x01\x02\x00\x01", false, false},
		{"Q\x00\x00\x00\x09SEL", false, false}, // length runs past: not sure
	}
	for _, c := range cases {
		req, ok := Detect([]byte(c.data))
		if req != c.req || ok != c.ok {
			t.Errorf("Detect(%q) = %v %v, want %v %v", c.data, req, ok, c.req, c.ok)
		}
	}
}
