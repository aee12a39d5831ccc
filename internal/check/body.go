package check

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"unicode/utf8"
)

// body is a response body: the first bytes in memory, the size in full.
type body struct {
	data []byte
	size int64
}

// readBody keeps up to limit bytes and counts (without keeping) the rest,
// so size is the true body size.
func readBody(r io.Reader, limit int64) (body, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit))
	b := body{data: data, size: int64(len(data))}
	if err != nil {
		return b, fmt.Errorf("read: %w", err)
	}
	n, err := io.Copy(io.Discard, r)
	b.size += n
	if err != nil {
		return b, fmt.Errorf("read past %d bytes: %w", limit, err)
	}
	return b, nil
}

func mediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return mt
}

// decodeJSON decodes the body when it is JSON, whatever the Content-Type
// says (many APIs send text/plain); otherwise it is nil. Invalid input
// fails at its first bad byte, so trying costs little.
func decodeJSON(data []byte) any {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(trimmed, &v); err != nil {
		return nil
	}
	return v
}

// cutUTF8 keeps at most limit bytes of s without splitting a character.
func cutUTF8(s string, limit int) (string, bool) {
	if len(s) <= limit {
		return s, false
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut], true
}
