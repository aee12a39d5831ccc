package otlp

import (
	"encoding/base64"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// attrBuilder converts KeyValues from the wire into m one at a time, as
// attrConv.attributes converts a list of them. m is made at the first
// KeyValue, so that no list gives a nil map as it does there.
type attrBuilder struct {
	d    *decoder
	a    *attrConv
	m    map[string]any
	hint int
	over int       // entries past MaxAttributes
	sem  *semAttrs // when set, picks the semantic keys as m is built
}

// keyValue converts the KeyValue at body[lo:hi], a message at wire depth
// wdepth; depth is as for attrConv.attributes.
func (b *attrBuilder) keyValue(lo, hi, depth, wdepth int) error {
	if wdepth > maxWireDepth {
		return errFallback
	}
	d, a := b.d, b.a
	if b.m == nil {
		b.m = make(map[string]any, b.hint)
	}
	key, val, values, err := d.scanKeyValue(lo, hi)
	if err != nil {
		return err
	}
	k := d.str(key)
	if k == "" { // key_strindex is for profiles only
		a.dropped++
		return d.skipValue(val, values, wdepth+1)
	}
	k = a.str(k)
	if len(b.m) >= a.lim.MaxAttributes {
		if _, dup := b.m[k]; !dup {
			b.over++
			return d.skipValue(val, values, wdepth+1)
		}
	}
	v, ok, err := d.value(a, val.lo, val.hi, depth, wdepth+1, nil)
	if err != nil || !ok {
		a.dropped += btoi(err == nil)
		return err
	}
	b.m[k] = v
	if b.sem != nil {
		b.sem.put(k, v)
	}
	return nil
}

// scanKeyValue finds the key and value of a KeyValue, at once when it is
// laid out as encoders write it: the short key, then the short value.
func (d *decoder) scanKeyValue(lo, hi int) (key, val field, values int, err error) {
	b := d.b[:hi]
	if k := lo + 2; k < hi && b[lo] == 0x0a && b[lo+1] < 0x80 {
		if v := k + int(b[lo+1]); v+2 <= hi && b[v] == 0x12 && b[v+1] < 0x80 && v+2+int(b[v+1]) == hi {
			key = field{num: 1, typ: protowire.BytesType, lo: k, hi: v}
			val = field{num: 2, typ: protowire.BytesType, lo: v + 2, hi: hi}
			return key, val, 1, nil
		}
	}
	var f field
	it := d.fields(lo, hi)
	for it.next(&f) {
		switch {
		case f.bytes(1):
			key = f
		case f.bytes(2):
			val = f
			values++
		}
	}
	switch {
	case it.err != nil:
		return key, val, 0, it.err
	case values > 1: // protobuf would merge the values
		return key, val, 0, errFallback
	}
	return key, val, values, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (d *decoder) skipValue(val field, values, wdepth int) error {
	if values == 0 {
		return nil
	}
	return d.skip(val.lo, val.hi, anyValueDesc, wdepth)
}

// value converts the AnyValue at body[lo:hi] as attrConv.value does.
// Protobuf keeps the last of its oneof fields; a replaced array or map
// is still checked. prev, when set, is a boxed string or integer to
// reuse if equal, and is set to this value.
func (d *decoder) value(a *attrConv, lo, hi, depth, wdepth int, prev *any) (_ any, ok bool, err error) {
	if wdepth > maxWireDepth {
		return nil, false, errFallback
	}
	// most values are one short string or one integer, read at once
	if lo+2 <= hi {
		switch b := d.b[lo:hi]; {
		case b[0] == 0x0a && b[1] < 0x80 && int(b[1]) == len(b)-2:
			return boxStr(a, d.s[lo+2:hi], prev), true, nil
		case b[0] == 0x18:
			if x, n := protowire.ConsumeVarint(b[1:]); n == len(b)-1 {
				return box(int64(x), prev), true, nil
			}
		}
	}
	var v, f field
	it := d.fields(lo, hi)
	for it.next(&f) {
		switch {
		case f.bytes(1), f.is(2, protowire.VarintType), f.is(3, protowire.VarintType),
			f.is(4, protowire.Fixed64Type), f.bytes(7), f.is(8, protowire.VarintType):
		case f.bytes(5), f.bytes(6):
			if v.num == f.num && v.typ == f.typ { // protobuf would merge the two
				return nil, false, errFallback
			}
		default:
			continue
		}
		if err := d.skipReplaced(v, wdepth); err != nil {
			return nil, false, err
		}
		v = f
	}
	if it.err != nil {
		return nil, false, it.err
	}
	switch v.num {
	case 1:
		return boxStr(a, d.str(v), prev), true, nil
	case 2:
		return v.v != 0, true, nil
	case 3:
		return box(int64(v.v), prev), true, nil
	case 4:
		return jsonFloat(math.Float64frombits(v.v)), true, nil
	case 7:
		return a.str(base64.StdEncoding.EncodeToString(d.b[v.lo:v.hi])), true, nil
	case 5, 6:
		if depth >= a.lim.MaxDepth {
			return nil, false, d.skipReplaced(v, wdepth)
		}
		if v.num == 5 {
			out, err := d.array(a, v.lo, v.hi, depth+1, wdepth+1)
			return out, err == nil, err
		}
		b := attrBuilder{d: d, a: a}
		if err := d.keyValues(&b, v.lo, v.hi, 1, depth+1, wdepth+2); err != nil {
			return nil, false, err
		}
		a.dropped += b.over
		if b.m == nil {
			b.m = map[string]any{}
		}
		return b.m, true, nil
	}
	return nil, true, nil // empty, or string_value_strindex (profiles only)
}

// box is x as an any, *prev when that holds x.
func box[T string | int64](x T, prev *any) any {
	if prev == nil {
		return x
	}
	if p, ok := (*prev).(T); ok && p == x {
		return *prev
	}
	*prev = x
	return *prev
}

// boxStr is box(a.str(raw), prev), without checking raw again when it
// is *prev: what str returns is valid and short enough, so str would
// return it unchanged and count nothing.
func boxStr(a *attrConv, raw string, prev *any) any {
	if prev != nil {
		if p, ok := (*prev).(string); ok && p == raw {
			return *prev
		}
	}
	return box(a.str(raw), prev)
}

// skipReplaced checks an array or map value that is not converted.
func (d *decoder) skipReplaced(v field, wdepth int) error {
	switch {
	case v.bytes(5):
		return d.skip(v.lo, v.hi, arrayDesc, wdepth+1)
	case v.bytes(6):
		return d.skip(v.lo, v.hi, kvlistDesc, wdepth+1)
	}
	return nil
}

// keyValues converts the KeyValues that are field num of the message at
// body[lo:hi] (at wire depth wdepth-1) into b.
func (d *decoder) keyValues(b *attrBuilder, lo, hi int, num protowire.Number, depth, wdepth int) error {
	var f field
	it := d.fields(lo, hi)
	for it.next(&f) {
		if f.bytes(num) {
			if err := b.keyValue(f.lo, f.hi, depth, wdepth); err != nil {
				return err
			}
		}
	}
	return it.err
}

// array converts the ArrayValue at body[lo:hi] as attrConv.array does.
func (d *decoder) array(a *attrConv, lo, hi, depth, wdepth int) ([]any, error) {
	var f field
	total := 0
	it := d.fields(lo, hi)
	for it.next(&f) {
		total += btoi(f.bytes(1))
	}
	if it.err != nil {
		return nil, it.err
	}
	n := min(total, a.lim.MaxAttributes)
	a.dropped += total - n
	out := make([]any, 0, n)
	i := 0
	it = d.fields(lo, hi)
	for it.next(&f) {
		if !f.bytes(1) {
			continue
		}
		if i++; i > n {
			if err := d.skip(f.lo, f.hi, anyValueDesc, wdepth+1); err != nil {
				return nil, err
			}
			continue
		}
		x, ok, err := d.value(a, f.lo, f.hi, depth, wdepth+1, nil)
		switch {
		case err != nil:
			return nil, err
		case ok:
			out = append(out, x)
		default:
			a.dropped++
		}
	}
	return out, it.err
}
