package span

import (
	"encoding/binary"
	"encoding/json"
	"math"
)

// OTel's binary encoding. Attribute values come back as they come back from
// JSON: numbers as float64, NaN and infinities as nil, empty nested lists
// and maps as empty rather than nil, other types through JSON.

// Kinds of attribute value.
const (
	valNil = iota
	valString
	valTrue
	valFalse
	valFloat
	valList
	valMap
	valJSON // a type OTLP decoding never produces, as its JSON
)

// Presence flags of OTel's optional parts.
const (
	hasScope = 1 << iota
	hasStatus
)

func appendBinOTel(b []byte, o *OTel, c *BinaryEncoder) []byte {
	var flags uint64
	if o.Scope != nil {
		flags |= hasScope
	}
	if o.Status != nil {
		flags |= hasStatus
	}
	b = binary.AppendUvarint(b, flags)
	b = appendBinAttrs(b, o.Attributes)
	b = c.appendResource(b, o.Resource)
	if o.Scope != nil {
		b = appendBinStrs(b, o.Scope.Name, o.Scope.Version)
	}
	if o.Status != nil {
		b = appendBinStrs(b, o.Status.Code, o.Status.Message)
	}
	b = binary.AppendUvarint(b, uint64(len(o.Events)))
	for i := range o.Events {
		e := &o.Events[i]
		b = appendBinTime(b, e.Time)
		b = appendBinStr(b, e.Name)
		b = appendBinAttrs(b, e.Attributes)
	}
	b = binary.AppendUvarint(b, uint64(len(o.Links)))
	for i := range o.Links {
		l := &o.Links[i]
		b = appendBinStrs(b, l.TraceID, l.SpanID, l.TraceState)
		b = appendBinAttrs(b, l.Attributes)
	}
	b = appendBinStr(b, o.TraceState)
	b = binary.AppendVarint(b, int64(o.DroppedAttributes))
	b = binary.AppendVarint(b, int64(o.DroppedEvents))
	return binary.AppendVarint(b, int64(o.DroppedLinks))
}

// appendBinAttrs appends a map's size and members; a nil or empty map comes
// back nil, as JSON omits it.
func appendBinAttrs(b []byte, m map[string]any) []byte {
	b = binary.AppendUvarint(b, uint64(len(m)))
	for k, v := range m {
		b = appendBinStr(b, k)
		b = appendBinValue(b, v)
	}
	return b
}

func appendBinValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, valNil)
	case string:
		return appendBinStr(append(b, valString), v)
	case bool:
		if v {
			return append(b, valTrue)
		}
		return append(b, valFalse)
	case int64:
		return appendBinFloat(b, float64(v))
	case int:
		return appendBinFloat(b, float64(v))
	case float64:
		return appendBinFloat(b, v)
	case []any:
		b = binary.AppendUvarint(append(b, valList), uint64(len(v)))
		for _, e := range v {
			b = appendBinValue(b, e)
		}
		return b
	case map[string]any:
		return appendBinAttrs(append(b, valMap), v)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return append(b, valNil) // as appendValue: null
	}
	return appendBinStr(append(b, valJSON), string(out))
}

func appendBinFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, valNil)
	}
	return binary.LittleEndian.AppendUint64(append(b, valFloat), math.Float64bits(f))
}
