package otlp

import (
	"errors"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The fast decoder never reports its own errors: on either of these the
// request goes through the reference path (decodeProtobuf and Convert),
// which gives the answer and the error message.
var (
	// errMalformed: the body is not a valid ExportTraceServiceRequest.
	errMalformed = errors.New("malformed protobuf")
	// errFallback: valid perhaps, but not worth a fast path: nested
	// deeper than maxWireDepth, or a singular message field repeated
	// where protobuf would merge the two.
	errFallback = errors.New("left to the reference decoder")
)

// maxWireDepth bounds message nesting (the request is 0, a span 3, a span
// attribute's value 5). It is below sanitizeUTF8's bound, so the fast path
// never accepts a body the reference refuses for depth.
const maxWireDepth = 48

// field is one field of a message on the wire. v is the value of varint
// and fixed fields; [lo:hi] is the payload of length-delimited ones, as
// offsets into the body.
type field struct {
	num    protowire.Number
	typ    protowire.Type
	v      uint64
	lo, hi int
}

// fields iterates over the fields of body[pos:end], checking every length
// against end, as protobuf parses them. Groups, valid only as unknown
// fields in OTLP, are checked and skipped whole.
type fields struct {
	b        []byte
	pos, end int
	err      error
}

func (d *decoder) fields(lo, hi int) fields { return fields{b: d.b, pos: lo, end: hi} }

func (it *fields) next(f *field) bool {
	pos, b := it.pos, it.b[:it.end]
	if pos >= len(b) {
		return false
	}
	// the common case, a field up to 15 of up to 127 bytes, inline
	if t := b[pos]; t < 0x80 && t >= 8 && t&7 == 2 && pos+1 < len(b) && b[pos+1] < 0x80 {
		lo := pos + 2
		hi := lo + int(b[pos+1])
		if hi > len(b) {
			return it.fail()
		}
		*f = field{num: protowire.Number(t >> 3), typ: protowire.BytesType, lo: lo, hi: hi}
		it.pos = hi
		return true
	}
	return it.slow(f)
}

func (it *fields) slow(f *field) bool {
	b := it.b[it.pos:it.end]
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 || num > protowire.MaxValidNumber { // protobuf refuses both
		return it.fail()
	}
	b = b[n:]
	f.num, f.typ, f.v = num, typ, 0
	var m int
	switch typ {
	case protowire.VarintType:
		f.v, m = protowire.ConsumeVarint(b)
	case protowire.Fixed64Type:
		f.v, m = protowire.ConsumeFixed64(b)
	case protowire.Fixed32Type:
		var v uint32
		v, m = protowire.ConsumeFixed32(b)
		f.v = uint64(v)
	case protowire.BytesType:
		var size uint64
		size, m = protowire.ConsumeVarint(b)
		if m < 0 || size > uint64(len(b)-m) {
			return it.fail()
		}
		f.lo = it.pos + n + m
		f.hi = f.lo + int(size)
		m += int(size)
	default: // groups, and EndGroup or reserved types, which fail here
		m = protowire.ConsumeFieldValue(num, typ, b)
	}
	if m < 0 {
		return it.fail()
	}
	it.pos += n + m
	return true
}

func (it *fields) fail() bool {
	it.err, it.pos = errMalformed, it.end
	return false
}

// is reports whether f is field num of type typ; a known field number
// with another wire type is an unknown field to protobuf.
func (f *field) is(num protowire.Number, typ protowire.Type) bool {
	return f.num == num && f.typ == typ
}

func (f *field) bytes(num protowire.Number) bool { return f.is(num, protowire.BytesType) }

// Descriptors of the messages the fast decoder checks without converting
// (see skip).
var (
	spanDesc     = (&tracepb.Span{}).ProtoReflect().Descriptor()
	eventDesc    = (&tracepb.Span_Event{}).ProtoReflect().Descriptor()
	linkDesc     = (&tracepb.Span_Link{}).ProtoReflect().Descriptor()
	keyValueDesc = (&commonpb.KeyValue{}).ProtoReflect().Descriptor()
	anyValueDesc = (&commonpb.AnyValue{}).ProtoReflect().Descriptor()
	arrayDesc    = (&commonpb.ArrayValue{}).ProtoReflect().Descriptor()
	kvlistDesc   = (&commonpb.KeyValueList{}).ProtoReflect().Descriptor()
	entityDesc   = (&commonpb.EntityRef{}).ProtoReflect().Descriptor()
)

// skip checks that body[lo:hi] is a valid message of type md, as protobuf
// would when parsing it, for parts that are not converted (dropped
// attributes, events and links, rejected spans, scope attributes).
func (d *decoder) skip(lo, hi int, md protoreflect.MessageDescriptor, depth int) error {
	if depth > maxWireDepth {
		return errFallback
	}
	fds := md.Fields()
	it := d.fields(lo, hi)
	var f field
	for it.next(&f) {
		if f.typ != protowire.BytesType {
			continue
		}
		if fd := fds.ByNumber(f.num); fd != nil && fd.Kind() == protoreflect.MessageKind {
			if err := d.skip(f.lo, f.hi, fd.Message(), depth+1); err != nil {
				return err
			}
		}
	}
	return it.err
}
