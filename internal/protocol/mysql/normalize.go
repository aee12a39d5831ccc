package mysql

import "strings"

// maxStatement bounds a normalised statement, in bytes.
const maxStatement = 2048

// Normalize replaces the literals of a SQL statement (strings, numbers,
// hex and bit values) by "?", drops comments except optimizer hints and
// executable comments, collapses whitespace and cuts the result to 2048
// bytes. Identifiers, keywords and their case are kept: the result groups
// executions of one statement without carrying their values.
func Normalize(sql string) string {
	var b strings.Builder
	b.Grow(min(len(sql), maxStatement))
	space := false // whitespace (or a comment) was passed since the last token
	emit := func(s string) {
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteString(s)
	}
	for i := 0; i < len(sql) && b.Len() < maxStatement; {
		c := sql[i]
		switch {
		case isSpace(c) || c == '\f' || c == '\v':
			space = true
			i++
		case c == '#' || c == '-' && strings.HasPrefix(sql[i:], "-- ") || strings.HasPrefix(sql[i:], "--\n") || strings.HasPrefix(sql[i:], "--\t"):
			j := strings.IndexByte(sql[i:], '\n')
			if j < 0 {
				j = len(sql) - i
			}
			i += j
			space = true
		case c == '/' && strings.HasPrefix(sql[i:], "/*"):
			if len(sql) > i+2 && (sql[i+2] == '!' || sql[i+2] == '+') {
				emit(sql[i : i+3]) // hints and version comments are SQL: kept, their content normalised
				i += 3
				continue
			}
			j := strings.Index(sql[i+2:], "*/")
			if j < 0 {
				i = len(sql)
			} else {
				i += j + 4
			}
			space = true
		case c == '\'' || c == '"':
			i = skipQuoted(sql, i)
			emit("?")
		case c == '`':
			j := i + 1
			for j < len(sql) && (sql[j] != '`' || j+1 < len(sql) && sql[j+1] == '`') {
				if sql[j] == '`' {
					j++
				}
				j++
			}
			if j >= len(sql) { // unterminated (a cut statement): no trailing blanks
				emit(strings.TrimRight(sql[i:], " \t\r\n\f\v"))
				i = j
				continue
			}
			emit(sql[i : j+1])
			i = j + 1
		case isDigit(c) || c == '.' && i+1 < len(sql) && isDigit(sql[i+1]) && (i == 0 || !isIdent(sql[i-1])):
			j := skipNumber(sql, i)
			if j < len(sql) && isIdent(sql[j]) { // an identifier starting with digits
				j = skipIdent(sql, j)
				emit(sql[i:j])
			} else {
				emit("?")
			}
			i = j
		case isIdent(c):
			j := skipIdent(sql, i)
			// X'0A', B'01', N'text', _utf8mb4'text': a prefixed string literal.
			if j < len(sql) && sql[j] == '\'' && (j-i == 1 && strings.ContainsRune("xXbBnN", rune(c)) || c == '_') {
				i = skipQuoted(sql, j)
				emit("?")
				continue
			}
			emit(sql[i:j])
			i = j
		default:
			emit(sql[i : i+1])
			i++
		}
	}
	return cut(b.String(), maxStatement)
}

// skipQuoted returns the end of the quoted literal starting at i: quotes
// are doubled or backslash-escaped (the default SQL mode).
func skipQuoted(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q:
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(s)
}

// skipNumber returns the end of the number at i: 0x1F, 0b101, 12, 1.5e-3.
func skipNumber(s string, i int) int {
	if s[i] == '0' && i+2 < len(s) && (s[i+1] == 'x' || s[i+1] == 'b') {
		j := i + 2
		for j < len(s) && isHex(s[j]) {
			j++
		}
		if j > i+2 {
			return j
		}
	}
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if j < len(s) && s[j] == '.' {
		j++
		for j < len(s) && isDigit(s[j]) {
			j++
		}
	}
	if j+1 < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if s[k] == '+' || s[k] == '-' {
			k++
		}
		if k < len(s) && isDigit(s[k]) {
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			j = k
		}
	}
	return j
}

func skipIdent(s string, i int) int {
	for i < len(s) && isIdent(s[i]) {
		i++
	}
	return i
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'f' }

// isIdent: identifier bytes; every byte of a multi-byte UTF-8 character is one.
func isIdent(c byte) bool {
	return c|0x20 >= 'a' && c|0x20 <= 'z' || isDigit(c) || c == '_' || c == '$' || c >= 0x80
}

// Operation returns the first keyword of a statement in upper case,
// passing whitespace, comments and opening parentheses: "SELECT",
// "INSERT", "WITH", ... or "" when it does not start with a word.
func Operation(sql string) string {
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case isSpace(c) || c == '(' || c == '\f' || c == '\v':
			i++
		case c == '#' || strings.HasPrefix(sql[i:], "-- "):
			j := strings.IndexByte(sql[i:], '\n')
			if j < 0 {
				return ""
			}
			i += j
		case strings.HasPrefix(sql[i:], "/*") && !strings.HasPrefix(sql[i:], "/*!"):
			j := strings.Index(sql[i+2:], "*/")
			if j < 0 {
				return ""
			}
			i += j + 4
		case c|0x20 >= 'a' && c|0x20 <= 'z':
			j := i
			for j < len(sql) && j-i < 32 && (sql[j]|0x20 >= 'a' && sql[j]|0x20 <= 'z' || sql[j] == '_') {
				j++
			}
			return strings.ToUpper(sql[i:j])
		default:
			return ""
		}
	}
	return ""
}
