package redact

import (
	"encoding/json"
	"strings"
)

// quotedPlaceholder replaces the value of a redacted JSON field, whatever
// its type: a string, so that consumers see why the value is gone.
const quotedPlaceholder = `"` + Placeholder + `"`

// JSON redacts a JSON document: fields matching a JSON rule, at any depth,
// have their value replaced by "[REDACTED]" or are removed; other strings,
// keys and long numbers go through the value patterns (a card number sent
// as a JSON number is replaced by the string "[REDACTED]"). Formatting and
// key order are kept. A body that is not valid JSON (truncated capture,
// form data, NDJSON) is treated as text: the value patterns apply to it.
// body itself is returned when nothing matched.
func (r *Redactor) JSON(body []byte) []byte {
	if len(body) == 0 {
		return body
	}
	s := string(body)
	if !json.Valid(body) {
		if v := r.Text(s); v != s {
			return []byte(v)
		}
		return body
	}
	j := jsonWalker{r: r, w: rewriter{src: s}}
	j.value(0)
	if j.w.n == 0 {
		return body
	}
	return []byte(j.w.String())
}

// jsonWalker walks a document known to be valid.
type jsonWalker struct {
	r *Redactor
	w rewriter
}

func (j *jsonWalker) ws(i int) int {
	s := j.w.src
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// value handles the value at i (after white space) and returns its end.
func (j *jsonWalker) value(i int) int {
	s := j.w.src
	i = j.ws(i)
	switch s[i] {
	case '{':
		return j.object(i)
	case '[':
		i = j.ws(i + 1)
		if s[i] == ']' {
			return i + 1
		}
		for {
			i = j.ws(j.value(i))
			if s[i] == ']' {
				return i + 1
			}
			i++ // ','
		}
	case '"':
		end := strEnd(s, i)
		if v, changed := j.text(s[i:end]); changed {
			j.w.replace(i, end, v)
		}
		return end
	case 't', 'n':
		return i + 4
	case 'f':
		return i + 5
	}
	end := i
	for end < len(s) && strings.IndexByte("+-.0123456789eE", s[end]) >= 0 {
		end++
	}
	if end-i >= minCardDigits {
		if v := j.r.Text(s[i:end]); v != s[i:end] {
			j.w.replace(i, end, quotedPlaceholder)
		}
	}
	return end
}

// object handles the object at i and returns its end. A dropped member
// takes the ',' before it when an earlier member was kept, else the one
// after it, so that the result stays valid.
func (j *jsonWalker) object(i int) int {
	s := j.w.src
	i = j.ws(i + 1)
	if s[i] == '}' {
		return i + 1
	}
	kept, comma := false, -1
	for {
		keyEnd := strEnd(s, i)
		colon := j.ws(keyEnd)
		valStart := j.ws(colon + 1)
		key := unquote(s[i:keyEnd])
		var valEnd int
		switch f := j.r.json.match(key); {
		case f != nil && f.action == ActionDrop:
			valEnd = skip(s, valStart)
			after := j.ws(valEnd)
			f.add(1)
			switch {
			case kept:
				j.w.replace(comma, valEnd, "")
			case s[after] == ',':
				j.w.replace(i, j.ws(after+1), "")
			default:
				j.w.replace(i, valEnd, "")
			}
		case f != nil && f.action == ActionRedact:
			valEnd = skip(s, valStart)
			f.add(1)
			j.w.replace(valStart, valEnd, quotedPlaceholder)
			kept = true
		default:
			if v, changed := j.text(s[i:keyEnd]); changed {
				j.w.replace(i, keyEnd, v)
			}
			valEnd = j.value(valStart)
			kept = true
		}
		i = j.ws(valEnd)
		if s[i] == '}' {
			return i + 1
		}
		comma = i
		i = j.ws(i + 1)
	}
}

// text applies the value patterns to a quoted JSON string and returns the
// new quoted string.
func (j *jsonWalker) text(quoted string) (string, bool) {
	v := unquote(quoted)
	t := j.r.Text(v)
	if t == v {
		return quoted, false
	}
	return quote(t), true
}

// strEnd returns the end of the string starting at s[i] == '"'.
func strEnd(s string, i int) int {
	for i++; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(s)
}

// skip returns the end of the value starting at i without looking inside.
func skip(s string, i int) int {
	switch s[i] {
	case '"':
		return strEnd(s, i)
	case '{', '[':
		depth := 0
		for ; i < len(s); i++ {
			switch s[i] {
			case '"':
				i = strEnd(s, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(s)
	}
	for i < len(s) && strings.IndexByte(",]} \t\r\n", s[i]) < 0 {
		i++
	}
	return i
}

// unquote decodes a JSON string, without allocating when it has no escape.
func unquote(quoted string) string {
	if !strings.Contains(quoted, `\`) {
		return quoted[1 : len(quoted)-1]
	}
	var v string
	if json.Unmarshal([]byte(quoted), &v) != nil {
		return quoted[1 : len(quoted)-1]
	}
	return v
}

// quote encodes s as a JSON string, escaping only what JSON requires.
func quote(s string) string {
	const hex = "0123456789abcdef"
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return string(append(b, '"'))
}
