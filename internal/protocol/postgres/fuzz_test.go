package postgres

import (
	"strings"
	"testing"

	"github.com/vigil-dev/vigil/internal/reassembly"
)

// FuzzParser cuts data into syscalls by script: each script byte gives a
// piece's direction (bit 7), whether bytes were lost before it (bit 6),
// whether its tail was not captured (bit 5) and its length (low bits).
// Whatever the bytes, the parser must not panic and must only emit sane
// exchanges.
func FuzzParser(f *testing.F) {
	seeds := []string{
		startup("user", "u", "database", "d") + authOK + m('Q', "SELECT 1; SELECT 'x'\x00") + cc("SELECT 1") + cc("SELECT 1") + ready,
		sslRequest() + "N" + startup("user", "u"),
		m('P', "s\x00SELECT $1\x00\x00\x00") + m('B', "\x00s\x00\x00\x00\x00\x00\x00\x00") + m('E', "\x00\x00\x00\x00\x00") + m('S', "") +
			m('1', "") + m('2', "") + cc("SELECT 1") + ready,
		m('Q', "COPY t FROM STDIN\x00") + m('G', "\x00\x00\x00") + m('d', "1\n") + m('c', "") + cc("COPY 1") + ready,
		errResp("22012", "division by zero") + ready,
	}
	for i, s := range seeds {
		f.Add([]byte(s), []byte{byte(20 + i), 0x85, 0x10, 0xc3, 0x7f, 0x01}, i%2 == 0)
	}
	f.Fuzz(func(t *testing.T, data, script []byte, joined bool) {
		var got []Exchange
		p := NewParser(func(x Exchange) { got = append(got, x) }, joined)
		for i := 0; len(data) > 0 && i < 10000; i++ {
			op := byte(0x1f)
			if len(script) > 0 {
				op = script[i%len(script)]
			}
			n := min(int(op&0x1f)+1, len(data))
			dir := reassembly.Direction(op >> 7)
			pc := reassembly.Piece{Data: data[:n], Start: uint64(i) * 10, End: uint64(i)*10 + 5}
			if op&0x40 != 0 {
				pc.Lost = uint64(op & 0x0f)
			}
			if op&0x20 != 0 && n > 4 {
				pc.Skipped = n - 4
				pc.Data = pc.Data[:4]
			}
			p.Feed(dir, pc)
			data = data[n:]
		}
		p.Close()
		for _, x := range got {
			if len(x.Statement) > maxStatement || len(x.Error) > maxError || x.Rows < -1 {
				t.Fatalf("bounds: %+v", x)
			}
			if x.RequestBytes < 0 || x.ResponseBytes < 0 {
				t.Fatalf("negative size: %+v", x)
			}
			if x.SQLState != "" && len(x.SQLState) != 5 {
				t.Fatalf("sqlstate %q", x.SQLState)
			}
		}
	})
}

// FuzzNormalize: never a panic, never a literal in the output.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"SELECT 1", "select 'a''b', E'\\'', $$x$$, $t$y$t$, 0x1f, 1e5, B'01'",
		`SELECT "a""b" FROM t WHERE x IN (1,2) -- 3`, "/* 1 /* 2 */ */ SELECT $1", "SELECT U&'x' , N'y', x'1'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		out := Normalize(sql)
		if len(out) > maxStatement {
			t.Fatalf("length %d", len(out))
		}
		if bad := literalIn(out); bad != "" {
			t.Fatalf("Normalize(%q) = %q: literal %q", sql, out, bad)
		}
	})
}

// literalIn finds a digit run that is not part of an identifier or a $n
// parameter, or a single quote outside a quoted identifier.
func literalIn(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			k := strings.IndexByte(s[i+1:], '"')
			if k < 0 {
				return s[i:]
			}
			i += k + 1
		case c == '\'':
			return s[i:]
		case isDigit(c):
			if i == 0 || !isIdentChar(s[i-1]) {
				return s[i:]
			}
		case isIdentStart(c):
			for i+1 < len(s) && isIdentChar(s[i+1]) {
				i++
			}
		}
	}
	return ""
}
