package otlp

import (
	"encoding/base64"
	"math"
	"strings"
	"unicode/utf8"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
)

// attrConv converts attribute values within Limits and counts what the
// limits cut, so stored spans say they are not what was sent.
type attrConv struct {
	lim       Limits
	truncated int // strings (values or keys) cut to MaxStringBytes
	dropped   int // values left out where the model has no Dropped* count
}

// attributes converts a key-value list to a map of at most MaxAttributes
// entries and returns how many entries did not fit. depth is the number
// of arrays and maps around the list (0 for span attributes).
func (c *attrConv) attributes(kvs []*commonpb.KeyValue, depth int) (m map[string]any, over int) {
	if len(kvs) == 0 {
		return nil, 0
	}
	m = make(map[string]any, min(len(kvs), c.lim.MaxAttributes))
	for _, kv := range kvs {
		key := kv.GetKey()
		if key == "" { // key_strindex is for profiles only
			c.dropped++
			continue
		}
		key = c.str(key)
		if _, dup := m[key]; !dup && len(m) >= c.lim.MaxAttributes {
			over++
			continue
		}
		v, ok := c.value(kv.GetValue(), depth)
		if !ok {
			c.dropped++
			continue
		}
		m[key] = v
	}
	return m, over
}

// value converts one AnyValue; ok is false when it is an array or map
// nested deeper than MaxDepth, which is left out.
func (c *attrConv) value(v *commonpb.AnyValue, depth int) (_ any, ok bool) {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return c.str(x.StringValue), true
	case *commonpb.AnyValue_BoolValue:
		return x.BoolValue, true
	case *commonpb.AnyValue_IntValue:
		return x.IntValue, true
	case *commonpb.AnyValue_DoubleValue:
		return jsonFloat(x.DoubleValue), true
	case *commonpb.AnyValue_BytesValue:
		return c.str(base64.StdEncoding.EncodeToString(x.BytesValue)), true
	case *commonpb.AnyValue_ArrayValue:
		if depth >= c.lim.MaxDepth {
			return nil, false
		}
		return c.array(x.ArrayValue.GetValues(), depth+1), true
	case *commonpb.AnyValue_KvlistValue:
		if depth >= c.lim.MaxDepth {
			return nil, false
		}
		m, over := c.attributes(x.KvlistValue.GetValues(), depth+1)
		c.dropped += over
		if m == nil {
			m = map[string]any{}
		}
		return m, true
	}
	return nil, true // empty, or string_value_strindex (profiles only)
}

func (c *attrConv) array(vs []*commonpb.AnyValue, depth int) []any {
	n := min(len(vs), c.lim.MaxAttributes)
	c.dropped += len(vs) - n
	out := make([]any, 0, n)
	for _, v := range vs[:n] {
		if x, ok := c.value(v, depth); ok {
			out = append(out, x)
		} else {
			c.dropped++
		}
	}
	return out
}

// str makes s valid UTF-8 and cuts it to MaxStringBytes.
func (c *attrConv) str(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) > c.lim.MaxStringBytes {
		c.truncated++
		s = truncateUTF8(s, c.lim.MaxStringBytes)
	}
	return s
}

// jsonFloat keeps finite floats and names the others, which JSON cannot
// hold as numbers.
func jsonFloat(f float64) any {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return f
}

// truncateUTF8 cuts valid UTF-8 s to at most n bytes without splitting a
// character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
