package postgres

import (
	"strings"
	"unicode/utf8"
)

// Normalize replaces every literal of a SQL text by "?" so that no value
// reaches the store: strings ('x', E'x', B'0', X'f', U&'x', N'x'),
// dollar-quoted strings, numbers. Identifiers (also "quoted"), keywords
// (TRUE, NULL...) and $1 parameters stay. Comments are dropped, whitespace
// collapses to one space, "IN (?, ?)" becomes "IN (?)", and the result is
// cut to 2048 bytes. Unterminated literals (text cut by the capture) are
// replaced to the end.
func Normalize(sql string) string {
	var b strings.Builder
	b.Grow(min(len(sql), maxStatement+8))
	space := false
	put := func(s string) {
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteString(s)
	}
	i := 0
	for i < len(sql) && b.Len() < maxStatement+4 {
		c := sql[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			space = true
			i++
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			for i < len(sql) && sql[i] != '\n' {
				i++
			}
			space = true
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			i = skipBlockComment(sql, i)
			space = true
		case c == '\'':
			i = skipString(sql, i+1, false)
			put("?")
		case isIdentStart(c):
			j := i + 1
			for j < len(sql) && isIdentChar(sql[j]) {
				j++
			}
			// A prefix letter directly before a quote makes a literal.
			if j < len(sql) && sql[j] == '\'' && isStringPrefix(sql[i:j]) {
				i = skipString(sql, j+1, sql[i] == 'e' || sql[i] == 'E')
				put("?")
				break
			}
			if j+1 < len(sql) && sql[i:j] != "" && (sql[i:j] == "U" || sql[i:j] == "u") && sql[j] == '&' && sql[j+1] == '\'' {
				i = skipString(sql, j+2, false)
				put("?")
				break
			}
			put(sql[i:j])
			i = j
		case c == '"':
			j := i + 1
			for {
				k := strings.IndexByte(sql[j:], '"')
				if k < 0 {
					j = -1
					break
				}
				j += k + 1
				if j < len(sql) && sql[j] == '"' {
					j++
					continue
				}
				break
			}
			if j < 0 { // unterminated: it may hide anything
				put("?")
				i = len(sql)
				break
			}
			put(sql[i:j])
			i = j
		case c == '$':
			if i+1 < len(sql) && isDigit(sql[i+1]) { // $1 parameter
				j := i + 1
				for j < len(sql) && isDigit(sql[j]) {
					j++
				}
				put(sql[i:j])
				i = j
				break
			}
			if end, ok := dollarTag(sql, i); ok {
				tag := sql[i:end]
				k := strings.Index(sql[end:], tag)
				if k < 0 {
					i = len(sql)
				} else {
					i = end + k + len(tag)
				}
				put("?")
				break
			}
			put("$")
			i++
		case isDigit(c) || (c == '.' && i+1 < len(sql) && isDigit(sql[i+1])):
			i = skipNumber(sql, i)
			put("?")
		default:
			_, n := utf8.DecodeRuneInString(sql[i:])
			put(sql[i : i+n])
			i += n
		}
	}
	// A trailing semicolon is not part of the statement: with or without
	// it, the same statement groups together.
	return cut(strings.TrimRight(collapseIn(b.String()), "; "), maxStatement)
}

// skipString returns the index after the string literal whose body starts
// at i; backslash escapes only in E” strings. Adjacent ” is a quote.
func skipString(s string, i int, esc bool) int {
	for i < len(s) {
		switch s[i] {
		case '\\':
			if esc {
				i++
			}
		case '\'':
			if i+1 < len(s) && s[i+1] == '\'' {
				i++
			} else {
				return i + 1
			}
		}
		i++
	}
	return len(s)
}

func skipBlockComment(s string, i int) int {
	depth := 0
	for i+1 < len(s) {
		switch {
		case s[i] == '/' && s[i+1] == '*':
			depth++
			i += 2
		case s[i] == '*' && s[i+1] == '/':
			depth--
			i += 2
			if depth == 0 {
				return i
			}
		default:
			i++
		}
	}
	return len(s)
}

// skipNumber consumes a numeric literal: decimal, 0x/0o/0b, underscores,
// fraction and exponent.
func skipNumber(s string, i int) int {
	if s[i] == '0' && i+1 < len(s) && strings.IndexByte("xXoObB", s[i+1]) >= 0 {
		i += 2
		for i < len(s) && (isHex(s[i]) || s[i] == '_') {
			i++
		}
		return i
	}
	for i < len(s) && (isDigit(s[i]) || s[i] == '_') {
		i++
	}
	if i < len(s) && s[i] == '.' && !(i+1 < len(s) && s[i+1] == '.') {
		i++
		for i < len(s) && (isDigit(s[i]) || s[i] == '_') {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			i = j
		}
	}
	return i
}

// dollarTag recognises the opening $tag$ of a dollar-quoted string at i.
func dollarTag(s string, i int) (int, bool) {
	j := i + 1
	if j < len(s) && s[j] == '$' {
		return j + 1, true
	}
	if j >= len(s) || !isIdentStart(s[j]) {
		return 0, false
	}
	for j < len(s) && isIdentChar(s[j]) && s[j] != '$' {
		j++
	}
	if j < len(s) && s[j] == '$' {
		return j + 1, true
	}
	return 0, false
}

func isStringPrefix(w string) bool {
	switch w {
	case "E", "e", "B", "b", "X", "x", "N", "n":
		return true
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}
func isIdentStart(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80
}
func isIdentChar(c byte) bool { return isIdentStart(c) || isDigit(c) || c == '$' }

// collapseIn turns "IN (?, ?, ?)" into "IN (?)".
func collapseIn(s string) string {
	if !strings.Contains(s, "?,") && !strings.Contains(s, "? ,") {
		return s
	}
	var b strings.Builder
	for {
		k := indexFold(s, "IN (?")
		if k < 0 || (k > 0 && isIdentChar(s[k-1])) {
			if k < 0 {
				b.WriteString(s)
				return b.String()
			}
			b.WriteString(s[:k+2])
			s = s[k+2:]
			continue
		}
		j := k + len("IN (?")
		for {
			t := strings.TrimLeft(s[j:], " ")
			if strings.HasPrefix(t, ",") {
				t = strings.TrimLeft(t[1:], " ")
				if strings.HasPrefix(t, "?") {
					j = len(s) - len(t) + 1
					continue
				}
			}
			break
		}
		b.WriteString(s[:k+len("IN (?")])
		s = s[j:]
	}
}

func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// cut shortens s to at most n bytes on a UTF-8 boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
