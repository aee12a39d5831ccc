package postgres

import (
	"encoding/binary"
	"strconv"
)

// Bounds on the values kept per request: enough to tell requests apart.
const (
	maxValues   = 8
	maxValueLen = 64
)

// bindValues reads a Bind's parameters from what follows its two names:
// format codes, then length-prefixed values. Text values are kept as they
// are, binary 2-, 4- and 8-byte values as decimal integers (ids in int
// columns), other binary values skipped. A cut message yields what it had.
func bindValues(b []byte) []string {
	nf, b, ok := u16(b)
	if !ok || len(b) < 2*nf {
		return nil
	}
	formats := b[:2*nf]
	b = b[2*nf:]
	np, b, ok := u16(b)
	if !ok {
		return nil
	}
	var out []string
	for i := 0; i < np && len(out) < maxValues; i++ {
		if len(b) < 4 {
			break
		}
		n := int(int32(binary.BigEndian.Uint32(b)))
		b = b[4:]
		if n < 0 { // NULL
			continue
		}
		if n > len(b) {
			break
		}
		v := b[:n]
		b = b[n:]
		format := uint16(0) // text, when no codes are given
		if nf == 1 {
			format = binary.BigEndian.Uint16(formats)
		} else if i < nf {
			format = binary.BigEndian.Uint16(formats[2*i:])
		}
		switch {
		case format != 1:
			if n > 0 && n <= maxValueLen {
				out = append(out, string(v))
			}
		case n == 2:
			out = append(out, strconv.Itoa(int(int16(binary.BigEndian.Uint16(v)))))
		case n == 4:
			out = append(out, strconv.Itoa(int(int32(binary.BigEndian.Uint32(v)))))
		case n == 8:
			out = append(out, strconv.FormatInt(int64(binary.BigEndian.Uint64(v)), 10))
		}
	}
	return out
}

func u16(b []byte) (int, []byte, bool) {
	if len(b) < 2 {
		return 0, nil, false
	}
	return int(binary.BigEndian.Uint16(b)), b[2:], true
}

// Literals returns the string and number literals of a SQL text, as
// Normalize would replace them, up to maxValues.
func Literals(sql string) []string {
	var out []string
	for i := 0; i < len(sql) && len(out) < maxValues; {
		c := sql[i]
		switch {
		case c == '\'':
			j, lit := i+1, make([]byte, 0, 16)
			for j < len(sql) {
				if sql[j] == '\'' {
					if j+1 < len(sql) && sql[j+1] == '\'' {
						lit = append(lit, '\'')
						j += 2
						continue
					}
					break
				}
				lit = append(lit, sql[j])
				j++
			}
			if len(lit) > 0 && len(lit) <= maxValueLen {
				out = append(out, string(lit))
			}
			i = j + 1
		case c >= '0' && c <= '9' && (i == 0 || !identByte(sql[i-1])):
			j := i
			for j < len(sql) && (sql[j] >= '0' && sql[j] <= '9' || sql[j] == '.') {
				j++
			}
			if j-i <= maxValueLen {
				out = append(out, sql[i:j])
			}
			i = j
		case identByte(c) || c == '"':
			j := i + 1
			if c == '"' {
				for j < len(sql) && sql[j] != '"' {
					j++
				}
				j++
			} else {
				for j < len(sql) && identByte(sql[j]) {
					j++
				}
			}
			i = j
		default:
			i++
		}
	}
	return out
}

func identByte(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}
