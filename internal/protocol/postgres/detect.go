package postgres

import (
	"encoding/binary"
	"strings"
)

// Request codes of the untyped startup-phase messages.
const (
	codeCancel  = 80877102
	codeSSL     = 80877103
	codeGSSENC  = 80877104
	protocolV3  = 3 << 16
	maxMinorVer = 2 // 3.2 is PostgreSQL 18's
)

// Detect tells whether data, the head of the first captured syscall buffer
// of a direction, is PostgreSQL and which side wrote it. From the client:
// a StartupMessage, SSLRequest, GSSENCRequest or CancelRequest, or a chain
// of frontend messages that starts with a client-only type. From the
// server: the one-byte answer to SSLRequest, an Authentication message, or
// a chain of backend messages starting with a server-only type.
func Detect(data []byte) (isRequest bool, ok bool) {
	if startupKind(data) != 0 {
		return true, true
	}
	if len(data) == 1 && (data[0] == 'N' || data[0] == 'S' || data[0] == 'G') {
		return false, true
	}
	if len(data) >= 9 && data[0] == 'R' {
		l := binary.BigEndian.Uint32(data[1:])
		code := binary.BigEndian.Uint32(data[5:])
		if validLen(false, 'R', l) && code <= 12 && code != 1 && code != 4 && code != 6 {
			return false, true
		}
	}
	if len(data) >= 5 {
		if strings.IndexByte(clientOnly, data[0]) >= 0 && chainSure(data, 0, true) {
			return true, true
		}
		if strings.IndexByte(serverOnly, data[0]) >= 0 && chainSure(data, 0, false) {
			return false, true
		}
	}
	return false, false
}

// startupKind returns the code of an untyped startup-phase message at the
// head of data, or 0.
func startupKind(data []byte) uint32 {
	if len(data) < 8 {
		return 0
	}
	l := binary.BigEndian.Uint32(data)
	code := binary.BigEndian.Uint32(data[4:])
	switch {
	case (code == codeSSL || code == codeGSSENC) && l == 8:
		return code
	case code == codeCancel && l == 16:
		return code
	case code>>16 == 3 && code&0xffff <= maxMinorVer && l > 8 && l <= maxStartup:
		if len(data) >= int(l) && data[l-1] != 0 {
			return 0
		}
		return code
	}
	return 0
}

// startupParams reads user and database from a StartupMessage body (after
// the length word): the protocol version, then name/value pairs.
func startupParams(body []byte) (user, db string) {
	if len(body) < 4 {
		return "", ""
	}
	parts := strings.Split(string(body[4:]), "\x00")
	for i := 0; i+1 < len(parts); i += 2 {
		switch parts[i] {
		case "user":
			user = parts[i+1]
		case "database":
			db = parts[i+1]
		case "":
			i = len(parts)
		}
	}
	if db == "" {
		db = user // the server's default
	}
	return cut(user, 64), cut(db, 64)
}

// firstKeyword is a statement's first word, upper-cased, after comments
// and opening parentheses.
func firstKeyword(sql string) string {
	i := 0
	for i < len(sql) {
		c := sql[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ';':
			i++
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			for i < len(sql) && sql[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			i = skipBlockComment(sql, i)
		case isIdentStart(c) && c < 0x80:
			j := i
			for j < len(sql) && j-i < 32 && ((sql[j]|0x20) >= 'a' && (sql[j]|0x20) <= 'z' || sql[j] == '_') {
				j++
			}
			return strings.ToUpper(sql[i:j])
		default:
			return ""
		}
	}
	return ""
}

// tagInfo splits a command tag into its operation (first word) and row
// count (last word, for the tags that carry one).
func tagInfo(tag string) (op string, rows int64) {
	rows = -1
	op, rest, _ := strings.Cut(tag, " ")
	switch op {
	case "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "FETCH", "MOVE", "COPY":
		if k := strings.LastIndexByte(rest, ' '); k >= 0 {
			rest = rest[k+1:]
		}
		var n int64
		for i := 0; i < len(rest); i++ {
			if !isDigit(rest[i]) || n > 1<<58 {
				return op, -1
			}
			n = n*10 + int64(rest[i]-'0')
		}
		if rest != "" {
			rows = n
		}
	}
	return op, rows
}

// splitStatements cuts a simple Query's text at top-level semicolons. It
// reports false when it cannot do so reliably: SQL-standard function bodies
// (BEGIN ATOMIC) contain semicolons the server does not split at.
func splitStatements(sql string) ([]string, bool) {
	if indexFold(sql, "atomic") >= 0 {
		return nil, false
	}
	var parts []string
	start, i := 0, 0
	for i < len(sql) {
		c := sql[i]
		switch {
		case c == '\'':
			i = skipString(sql, i+1, i > 0 && (sql[i-1] == 'e' || sql[i-1] == 'E'))
		case c == '"':
			if k := strings.IndexByte(sql[i+1:], '"'); k >= 0 {
				i += k + 2
			} else {
				return nil, false
			}
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			for i < len(sql) && sql[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			i = skipBlockComment(sql, i)
		case c == '$' && (i == 0 || !isIdentChar(sql[i-1])):
			if end, ok := dollarTag(sql, i); ok {
				k := strings.Index(sql[end:], sql[i:end])
				if k < 0 {
					return nil, false
				}
				i = end + k + end - i
			} else {
				i++
			}
		case isIdentStart(c):
			for i < len(sql) && isIdentChar(sql[i]) {
				i++
			}
		case c == ';':
			if p := strings.TrimSpace(sql[start:i]); p != "" && firstKeyword(p) != "" {
				parts = append(parts, p)
			}
			i++
			start = i
		default:
			i++
		}
	}
	if p := strings.TrimSpace(sql[start:]); p != "" && firstKeyword(p) != "" {
		parts = append(parts, p)
	}
	return parts, true
}
