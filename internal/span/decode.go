package span

import jsonv2 "github.com/go-json-experiment/json"

// Decode reads a span document as encoding/json would, faster: stores
// decode every span they read (assembly reads each one twice), and
// encoding/json's reflection was most of that time. Field names match
// exactly; unknown fields are ignored.
func Decode(b []byte, s *Span) error {
	return jsonv2.Unmarshal(b, s)
}
