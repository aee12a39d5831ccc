package otlp

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// maxSanitizeDepth bounds recursion on hostile input; real OTLP nests a
// dozen levels plus attribute values.
const maxSanitizeDepth = 64

var errTooDeep = errors.New("protobuf message nested too deeply")

// sanitizeUTF8 re-encodes the protobuf message b of type md with invalid
// UTF-8 in string fields replaced by U+FFFD. changed reports whether there
// was any. Fields are copied as they are otherwise, unknown ones included.
func sanitizeUTF8(b []byte, md protoreflect.MessageDescriptor) (out []byte, changed bool, err error) {
	return sanitizeMessage(make([]byte, 0, len(b)), b, md, 0)
}

func sanitizeMessage(out, b []byte, md protoreflect.MessageDescriptor, depth int) ([]byte, bool, error) {
	if depth > maxSanitizeDepth {
		return nil, false, errTooDeep
	}
	changed := false
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, false, fmt.Errorf("reading field tag: %w", protowire.ParseError(n))
		}
		tag := b[:n]
		b = b[n:]
		fd := md.Fields().ByNumber(num)
		if typ != protowire.BytesType || fd == nil ||
			(fd.Kind() != protoreflect.StringKind && fd.Kind() != protoreflect.MessageKind) {
			m := protowire.ConsumeFieldValue(num, typ, b)
			if m < 0 {
				return nil, false, fmt.Errorf("reading field %d: %w", num, protowire.ParseError(m))
			}
			out = append(append(out, tag...), b[:m]...)
			b = b[m:]
			continue
		}
		v, m := protowire.ConsumeBytes(b)
		if m < 0 {
			return nil, false, fmt.Errorf("reading field %d: %w", num, protowire.ParseError(m))
		}
		b = b[m:]
		out = append(out, tag...)
		if fd.Kind() == protoreflect.StringKind {
			if !utf8.Valid(v) {
				v = bytes.ToValidUTF8(v, []byte("\uFFFD"))
				changed = true
			}
			out = protowire.AppendBytes(out, v)
			continue
		}
		sub, subChanged, err := sanitizeMessage(nil, v, fd.Message(), depth+1)
		if err != nil {
			return nil, false, err
		}
		changed = changed || subChanged
		out = protowire.AppendBytes(out, sub)
	}
	return out, changed, nil
}
