package alert

import (
	"regexp"
	"strings"

	"github.com/vigil-dev/vigil/internal/result"
)

// maxFingerprint bounds a fingerprint: it becomes a label and a key.
const maxFingerprint = 200

var (
	quotedPattern = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	uuidPattern   = regexp.MustCompile(`(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`)
	hexPattern    = regexp.MustCompile(`(?i)\b(?:0x[0-9a-f]+|[0-9a-f]{8,})\b`)
	numberPattern = regexp.MustCompile(`\d+(?:\.\d+)?`)
	spacePattern  = regexp.MustCompile(`\s+`)
)

// Fingerprint names an error so that occurrences differing only in ids,
// numbers or quoted values count as the same error: its type, ": " and
// its normalised message. It is "" for no error.
func Fingerprint(e *result.Error) string {
	if e == nil {
		return ""
	}
	fp := e.Type + ": " + Normalize(e.Message)
	if len(fp) > maxFingerprint {
		fp = strings.ToValidUTF8(fp[:maxFingerprint], "")
	}
	return fp
}

// Normalize replaces the variable parts of an error message: quoted
// strings, UUIDs, hex ids and numbers.
func Normalize(msg string) string {
	msg = quotedPattern.ReplaceAllString(msg, "<str>")
	msg = uuidPattern.ReplaceAllString(msg, "<uuid>")
	msg = hexPattern.ReplaceAllStringFunc(msg, func(s string) string {
		if strings.Trim(s, "0123456789") == "" {
			return "<n>" // a long decimal number, not an id
		}
		return "<hex>"
	})
	msg = numberPattern.ReplaceAllString(msg, "<n>")
	return strings.TrimSpace(spacePattern.ReplaceAllString(msg, " "))
}

// errorOf is the error of a down result: its own, or its first failing
// step's.
func errorOf(r *result.Result) *result.Error {
	if r.Error != nil || r.Up() {
		return r.Error
	}
	for i := range r.Steps {
		if r.Steps[i].Error != nil {
			return r.Steps[i].Error
		}
	}
	return nil
}
