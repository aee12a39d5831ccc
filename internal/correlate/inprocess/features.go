package inprocess

import (
	"strings"

	"github.com/vigil-dev/vigil/internal/span"
)

// tokens are the identifying fields of a span: the parts of its request
// target, Redis key or statement that carry a digit (ids, order numbers,
// UUIDs), plus the keyed hashes of literal values the agent computed for
// it (Vigil.Tokens: values it may not store in clear, such as SQL literals).
func tokens(s *span.Span) []string {
	var out []string
	add := func(text string) {
		for _, f := range strings.FieldsFunc(text, notAlnum) {
			if len(f) >= 2 && hasDigit(f) {
				out = append(out, f)
			}
		}
	}
	if s.HTTP != nil {
		add(s.HTTP.Request.Path)
	}
	if s.DB != nil && s.DB.Type == "redis" {
		add(s.DB.Statement)
	}
	out = append(out, s.Vigil.Tokens...)
	return out
}

// operation is what a span did with its ids replaced, so that calls of
// the same kind compare equal: "GET /cart/{}", "redis GET cart:{}".
func operation(s *span.Span) string {
	name := s.Span.Name
	if s.HTTP != nil {
		name = s.HTTP.Request.Method + " " + pathOnly(s.HTTP.Request.Path)
	} else if s.DB != nil && s.DB.Statement != "" {
		name = s.DB.Statement
	}
	var b strings.Builder
	b.WriteString(s.Span.Subtype)
	b.WriteByte(' ')
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		if f := name[start:end]; hasDigit(f) {
			b.WriteString("{}")
		} else {
			b.WriteString(f)
		}
		start = -1
	}
	for i := 0; i < len(name); i++ {
		if notAlnum(rune(name[i])) {
			flush(i)
			b.WriteByte(name[i])
		} else if start < 0 {
			start = i
		}
	}
	flush(len(name))
	return b.String()
}

func pathOnly(target string) string {
	if i := strings.IndexByte(target, '?'); i >= 0 {
		return target[:i]
	}
	return target
}

func notAlnum(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r >= 0x80)
}

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			return true
		}
	}
	return false
}

func threadOf(s *span.Span) int {
	if s.Process.Thread == nil {
		return 0
	}
	return s.Process.Thread.ID
}
