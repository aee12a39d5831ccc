package mysql

import (
	"slices"
	"strings"
	"testing"

	"github.com/vigil-dev/vigil/internal/reassembly"
)

const (
	in  = reassembly.Ingress
	out = reassembly.Egress
)

// pkt frames a payload with its header.
func pkt(seq byte, payload string) string {
	n := len(payload)
	return string([]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}) + payload
}

type wire struct {
	dir     reassembly.Direction
	data    string
	skipped int
	lost    uint64
}

func run(joined bool, ws []wire) ([]string, *Parser) {
	var steps []step
	for i, w := range ws {
		ts := uint64(i+1) * 1000
		steps = append(steps, step{w.dir, reassembly.Piece{Lost: w.lost, Data: []byte(w.data), Skipped: w.skipped, Start: ts, End: ts + 10}})
	}
	got, p := replay(steps, joined)
	var s []string
	for _, x := range got {
		s = append(s, summary(x))
	}
	return s, p
}

var (
	okPkt    = "\x00\x01\x00\x02\x00\x00\x00"
	eofPkt   = "\xfe\x00\x00\x02\x00"
	eofMore  = "\xfe\x00\x00\x0a\x00"
	colDef   = "\x03def\x00\x00\x00\x01a\x00\x0c\x3f\x00\x0b\x00\x00\x00\x03\x00\x00\x00\x00\x00"
	query    = func(sql string) string { return pkt(0, "\x03"+sql) }
	resultOf = func(rows int, end string) string {
		s := pkt(1, "\x01") + pkt(2, colDef) + pkt(3, eofPkt)
		for i := range rows {
			s += pkt(byte(4+i), "\x011")
		}
		return s + pkt(byte(4+rows), end)
	}
)

func TestFraming(t *testing.T) {
	cases := []struct {
		name   string
		joined bool
		ws     []wire
		want   []string
	}{
		{name: "result set split at every byte", joined: true, ws: append([]wire{{out, query("SELECT 1"), 0, 0}, {in, resultOf(3, eofPkt)[:6], 0, 0}}, splitEvery(in, resultOf(3, eofPkt)[6:], 1)...),
			want: []string{`COM_QUERY "SELECT ?" rows=3`}},
		{name: "multi result", joined: true, ws: []wire{{out, query("CALL p()"), 0, 0}, {in, resultOf(2, eofMore) + pkt(7, okPkt), 0, 0}},
			want: []string{`COM_QUERY "CALL p()" rows=3`}},
		{name: "row skipped by length", joined: true, ws: []wire{{out, query("SELECT b"), 0, 0},
			{in, pkt(1, "\x01") + pkt(2, colDef) + pkt(3, eofPkt) + "\x10\x27\x00\x04\xfc\x0d\x27", 9997, 0}, {in, pkt(5, eofPkt), 0, 0}},
			want: []string{`COM_QUERY "SELECT b" rows=1`}},
		{name: "gap across headers, then next command", joined: true, ws: []wire{{out, query("SELECT b"), 0, 0},
			{in, pkt(1, "\x01") + pkt(2, colDef), 500, 0}, {in, "xxxx", 0, 0}, {out, query("SELECT 2"), 0, 0}, {in, resultOf(1, eofPkt), 0, 0}},
			want: []string{`COM_QUERY "SELECT b" rows=-1 incomplete: response framing lost`, `COM_QUERY "SELECT ?" rows=1`}},
		{name: "16 MiB split packet", joined: true, ws: []wire{{out, "\xff\xff\xff\x00\x03INSERT INTO t VALUES ('", 0xffffff - 24, 0}, {out, pkt(1, "')"), 0, 0}, {in, pkt(2, okPkt), 0, 0}},
			want: []string{`COM_QUERY "INSERT INTO t VALUES (?" rows=1`}},
		{name: "local infile", joined: true, ws: []wire{{out, query("LOAD DATA LOCAL INFILE 'f' INTO TABLE t"), 0, 0}, {in, pkt(1, "\xfbf"), 0, 0},
			{out, pkt(2, "1\n2\n") + pkt(3, ""), 0, 0}, {in, pkt(4, okPkt), 0, 0}},
			want: []string{`COM_QUERY "LOAD DATA LOCAL INFILE ? INTO TABLE t" rows=1`}},
		{name: "error mid rows", joined: true, ws: []wire{{out, query("SELECT x"), 0, 0}, {in, pkt(1, "\x01") + pkt(2, colDef) + pkt(3, eofPkt) + pkt(4, "\x011") + pkt(5, "\xff\x25\x05#70100Query execution was interrupted"), 0, 0}},
			want: []string{`COM_QUERY "SELECT x" rows=1 err=1317/70100`}},
		{name: "execute prepared before capture", joined: true, ws: []wire{{out, pkt(0, "\x17\x07\x00\x00\x00\x00\x01\x00\x00\x00"), 0, 0}, {in, pkt(1, okPkt), 0, 0}},
			want: []string{`COM_STMT_EXECUTE "" rows=1 id=7 incomplete: statement prepared before capture`}},
		{name: "joined mid response", joined: true, ws: []wire{{in, "\x011" + pkt(9, "\x012") + pkt(10, eofPkt), 0, 0}, {out, pkt(0, "\x0e"), 0, 0}, {in, pkt(1, okPkt), 0, 0}},
			want: []string{`COM_PING "" rows=1`}},
		{name: "lost request bytes: response found afresh", ws: []wire{{out, query("SELECT 1"), 0, 0}, {out, "", 0, 40}, {in, resultOf(1, eofPkt), 0, 0},
			{in, pkt(1, okPkt), 0, 0}, {out, query("DO 1"), 0, 0}, {in, pkt(1, okPkt), 0, 0}},
			want: []string{`COM_QUERY "SELECT ?" rows=1`, `COM_QUERY "DO ?" rows=1`}},
		{name: "sequence mismatch", joined: true, ws: []wire{{out, pkt(0, "\x0e"), 0, 0}, {in, pkt(1, okPkt), 0, 0}, {out, query("SELECT 1"), 0, 0}, {in, pkt(5, okPkt), 0, 0}},
			want: []string{`COM_PING "" rows=1`, `COM_QUERY "SELECT ?" rows=-1 incomplete: response sequence mismatch`}},
		{name: "closed before response", joined: true, ws: []wire{{out, query("SELECT SLEEP(10)"), 0, 0}},
			want: []string{`COM_QUERY "SELECT SLEEP(?)" rows=-1 incomplete: connection closed before the response`}},
	}
	for _, c := range cases {
		got, p := run(c.joined, c.ws)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s:\ngot  %q\nwant %q (stats %v)", c.name, got, c.want, p.Stats)
		}
	}
}

func splitEvery(dir reassembly.Direction, s string, n int) []wire {
	var ws []wire
	for i := 0; i < len(s); i += n {
		ws = append(ws, wire{dir, s[i:min(i+n, len(s))], 0, 0})
	}
	return ws
}

func TestStates(t *testing.T) {
	greet := pkt(0, "\x0a5.5.5-10.11.19-MariaDB\x00\x01\x00\x00\x00abcdefgh\x00\xff\xf7\x08\x02\x00\xff\x81\x15\x00\x00\x00\x00\x00\x00\x1d\x00\x00\x00ijklmnopqrst\x00mysql_native_password\x00")
	ssl := pkt(1, "\x05\xae\xff\x01\x00\x00\x00\x01\x08"+strings.Repeat("\x00", 23))
	for _, c := range []struct {
		name string
		ws   []wire
		st   State
	}{
		{"tls", []wire{{in, greet, 0, 0}, {out, ssl, 0, 0}, {out, "\x16\x03\x01", 0, 0}}, StateTLS},
		{"refused", []wire{{in, pkt(0, "\xffj\x04Host is blocked"), 0, 0}}, StateNotMySQL},
		{"http", []wire{{out, "GET / HTTP/1.1\r\n\r\n", 0, 0}}, StateNotMySQL},
		{"auth failed", []wire{{in, greet, 0, 0}, {out, pkt(1, strings.Repeat("\x00", 32)+"u\x00"), 0, 0}, {in, pkt(2, "\xff\x15\x04#28000Access denied"), 0, 0}}, StateEnded},
	} {
		if _, p := run(false, c.ws); p.State() != c.st {
			t.Errorf("%s: state %v, want %v", c.name, p.State(), c.st)
		}
	}
}

func TestNormalize(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SELECT  *\n FROM t WHERE a = 'x''y' AND b = \"q\\\"\" AND c=-1.5e3", `SELECT * FROM t WHERE a = ? AND b = ? AND c=-?`},
		{"insert into t1 values (0x1F, X'0A', b'01', _utf8mb4'é', N'n', 1abc, .5)", "insert into t1 values (?, ?, ?, ?, ?, 1abc, ?)"},
		{"SELECT /* trace=1 */ `col 1`, t2.c3 FROM `db`.`t` -- tail\n LIMIT 10", "SELECT `col 1`, t2.c3 FROM `db`.`t` LIMIT ?"},
		{"SELECT /*+ MAX_EXECUTION_TIME(100) */ 1 # c", "SELECT /*+ MAX_EXECUTION_TIME(?) */ ?"},
		{"SELECT 'unterminated", "SELECT ?"},
		{"  ", ""},
	} {
		if got := Normalize(c.in); got != c.want {
			t.Errorf("Normalize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := Normalize(strings.Repeat("é", 3000)); len(got) > maxStatement || !strings.HasPrefix(got, "é") || strings.ToValidUTF8(got, "") != got {
		t.Errorf("cut: %d bytes", len(got))
	}
	for in, want := range map[string]string{"  (select 1)": "SELECT", "/* x */ insert": "INSERT", "-- c\nWITH a": "WITH", "1": ""} {
		if got := Operation(in); got != want {
			t.Errorf("Operation(%q) = %q", in, got)
		}
	}
}

// TestJoinedResponsesCountedApart: on a connection joined mid-way, a
// response before any command answers one sent before capture: skipped
// while the framing resynchronises, not counted as an error; after a
// command was seen, one without command is a mismatch.
func TestJoinedResponsesCountedApart(t *testing.T) {
	got, p := run(true, []wire{
		{in, pkt(1, okPkt), 0, 0},                             // answers a command from before capture
		{out, query("DO 1"), 0, 0}, {in, pkt(1, okPkt), 0, 0}, // matched
		{in, pkt(1, okPkt), 0, 0}, // no command: a mismatch
	})
	if len(got) != 1 {
		t.Fatalf("exchanges %q, want the DO 1", got)
	}
	if len(p.Stats.Errors) != 1 || p.Stats.Errors["response without command"] != 1 {
		t.Errorf("errors %v, want one response without command", p.Stats.Errors)
	}
}

// TestResumeTLS: after the client's SSL request the parser awaits TLS;
// resumed on the session's plaintext (offsets afresh), it reads the full
// handshake response (sequence 2, with the database) and the commands.
func TestResumeTLS(t *testing.T) {
	greet := pkt(0, "\x0a5.5.5-10.11.19-MariaDB\x00\x01\x00\x00\x00abcdefgh\x00\xff\xf7\x08\x02\x00\xff\x81\x15\x00\x00\x00\x00\x00\x00\x1d\x00\x00\x00ijklmnopqrst\x00mysql_native_password\x00")
	ssl := pkt(1, "\x0d\xae\xff\x01\x00\x00\x00\x01\x08"+strings.Repeat("\x00", 23))
	response := pkt(2, "\x0d\xae\xff\x01\x00\x00\x00\x01\x08"+strings.Repeat("\x00", 23)+"u\x00\x14"+strings.Repeat("p", 20)+"shop\x00")
	var got []Exchange
	p := NewParser(func(x Exchange) { got = append(got, x) }, false)
	feed := func(dir reassembly.Direction, s string) {
		p.Feed(dir, reassembly.Piece{Data: []byte(s), Start: 1, End: 2})
	}
	feed(in, greet)
	feed(out, ssl)
	if !p.AwaitsTLS() {
		t.Fatalf("state %v after the SSL request, want awaiting TLS", p.State())
	}
	p.ResumeTLS()
	feed(out, response)
	feed(in, pkt(3, okPkt))
	feed(out, query("DO 1"))
	feed(in, pkt(1, okPkt))
	p.Close()
	if len(got) != 1 || summary(got[0]) != `COM_QUERY "DO ?" rows=1` || got[0].Database != "shop" || got[0].User != "u" {
		var s []string
		for _, x := range got {
			s = append(s, summary(x)+" db="+x.Database+" user="+x.User)
		}
		t.Fatalf("got %q, want one COM_QUERY \"DO ?\" rows=1 on database shop as u (stats %v)", s, p.Stats)
	}
}
