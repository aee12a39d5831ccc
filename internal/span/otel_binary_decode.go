package span

import (
	"errors"
	"fmt"
	"math"

	jsonv2 "github.com/go-json-experiment/json"
)

// maxValueDepth bounds the nesting of attribute values a decoder follows:
// damaged data must not recurse without end.
const maxValueDepth = 64

func (r *binReader) otel() *OTel {
	o := new(OTel)
	flags := r.uvarint()
	o.Attributes = r.attrs(false, 0)
	o.Resource = r.attrs(false, 0)
	if flags&hasScope != 0 {
		o.Scope = &Scope{Name: r.str(), Version: r.str()}
	}
	if flags&hasStatus != 0 {
		o.Status = &Status{Code: r.str(), Message: r.str()}
	}
	if n := r.count(); n > 0 {
		o.Events = make([]SpanEvent, n)
		for i := range o.Events {
			e := &o.Events[i]
			e.Time = r.time()
			e.Name = r.str()
			e.Attributes = r.attrs(false, 0)
		}
	}
	if n := r.count(); n > 0 {
		o.Links = make([]Link, n)
		for i := range o.Links {
			l := &o.Links[i]
			l.TraceID, l.SpanID, l.TraceState = r.str(), r.str(), r.str()
			l.Attributes = r.attrs(false, 0)
		}
	}
	o.TraceState = r.str()
	o.DroppedAttributes = int(r.varint())
	o.DroppedEvents = int(r.varint())
	o.DroppedLinks = int(r.varint())
	return o
}

// count reads a number of items, each at least a byte long.
func (r *binReader) count() int {
	n := r.uvarint()
	if n > uint64(len(r.s)) {
		r.fail(errors.New("item count beyond the data"))
		return 0
	}
	return int(n)
}

// attrs reads a map; nested ones are never nil (JSON writes them as {}).
func (r *binReader) attrs(nested bool, depth int) map[string]any {
	n := r.count()
	if n == 0 && !nested {
		return nil
	}
	m := make(map[string]any, n)
	for range n {
		k := r.str()
		m[k] = r.value(depth)
	}
	return m
}

func (r *binReader) value(depth int) any {
	if depth > maxValueDepth {
		r.fail(errors.New("attribute values nested too deep"))
		return nil
	}
	switch kind := r.byte(); kind {
	case valNil:
		return nil
	case valString:
		return r.str()
	case valTrue:
		return true
	case valFalse:
		return false
	case valFloat:
		return math.Float64frombits(r.uint64())
	case valList:
		l := make([]any, r.count())
		for i := range l {
			l[i] = r.value(depth + 1)
		}
		return l
	case valMap:
		return r.attrs(true, depth+1)
	case valJSON:
		var v any
		if doc := r.str(); r.err == nil {
			if err := jsonv2.Unmarshal([]byte(doc), &v); err != nil {
				r.fail(fmt.Errorf("decoding an attribute value: %w", err))
			}
		}
		return v
	default:
		r.fail(fmt.Errorf("unknown kind of attribute value %d", kind))
		return nil
	}
}
