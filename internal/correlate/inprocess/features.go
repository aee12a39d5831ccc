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
		span.IdentifyingFields(text, func(f string) bool {
			out = append(out, f)
			return true
		})
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
		if f := name[start:end]; span.HasDigit(f) {
			b.WriteString("{}")
		} else {
			b.WriteString(f)
		}
		start = -1
	}
	for i := 0; i < len(name); i++ {
		if !span.IsFieldByte(name[i]) {
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

func threadOf(s *span.Span) int {
	if s.Process.Thread == nil {
		return 0
	}
	return s.Process.Thread.ID
}
