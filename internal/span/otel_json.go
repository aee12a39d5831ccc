package span

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
)

func (w *objWriter) otel(o *OTel) {
	w.open()
	w.attrs("attributes", o.Attributes)
	w.attrs("resource", o.Resource)
	if o.Scope != nil {
		w.key("scope")
		w.open()
		w.strOmit("name", o.Scope.Name)
		w.strOmit("version", o.Scope.Version)
		w.close()
	}
	if o.Status != nil {
		w.key("status")
		w.open()
		w.str("code", o.Status.Code)
		w.strOmit("message", o.Status.Message)
		w.close()
	}
	if len(o.Events) > 0 {
		w.key("events")
		w.b = append(w.b, '[')
		for i := range o.Events {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			e := &o.Events[i]
			w.open()
			w.time("time", e.Time)
			w.str("name", e.Name)
			w.attrs("attributes", e.Attributes)
			w.close()
		}
		w.b = append(w.b, ']')
		w.comma = true
	}
	if len(o.Links) > 0 {
		w.key("links")
		w.b = append(w.b, '[')
		for i := range o.Links {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			l := &o.Links[i]
			w.open()
			w.str("trace_id", l.TraceID)
			w.str("span_id", l.SpanID)
			w.strOmit("trace_state", l.TraceState)
			w.attrs("attributes", l.Attributes)
			w.close()
		}
		w.b = append(w.b, ']')
		w.comma = true
	}
	w.strOmit("trace_state", o.TraceState)
	w.intOmit("dropped_attributes", int64(o.DroppedAttributes))
	w.intOmit("dropped_events", int64(o.DroppedEvents))
	w.intOmit("dropped_links", int64(o.DroppedLinks))
	w.close()
}

func (w *objWriter) intOmit(name string, v int64) {
	if v != 0 {
		w.int(name, v)
	}
}

// attrs appends a map with sorted keys, as encoding/json does; omitted when
// empty.
func (w *objWriter) attrs(name string, m map[string]any) {
	if len(m) == 0 {
		return
	}
	w.key(name)
	w.b = appendMap(w.b, m)
	w.comma = true
}

func appendMap(b []byte, m map[string]any) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendValue(b, m[k])
	}
	return append(b, '}')
}

// appendValue covers the types OTLP attributes decode to; anything else
// goes through encoding/json. NaN and infinities, which JSON cannot hold,
// become null (encoding/json would fail the whole document).
func appendValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendString(b, v)
	case bool:
		return strconv.AppendBool(b, v)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case float64:
		return appendFloat(b, v)
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendValue(b, e)
		}
		return append(b, ']')
	case map[string]any:
		return appendMap(b, v)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, out...)
}

// appendFloat formats as encoding/json does: shortest representation,
// exponent form only for very small or very large magnitudes.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9, as encoding/json does
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
