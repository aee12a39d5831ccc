package span

import "fmt"

// BinaryKeys reads from a binary span (AppendBinary) what stores filter on,
// without decoding the rest: its id, trace.id, service.name and span.kind.
// The strings point into data.
func BinaryKeys(data string) (id, traceID, service, kind string, err error) {
	r := binReader{s: data}
	if v := r.byte(); v != binaryVersion && r.err == nil {
		return "", "", "", "", fmt.Errorf("reading the keys of a binary span: unknown version %d", v)
	}
	flags := r.uvarint()
	id = r.str()
	r.skipTime()
	traceID = r.str()
	if flags&hasParent != 0 {
		r.str()
	}
	r.str() // span.id
	kind = r.str()
	for range 4 { // name, type, subtype, action
		r.str()
	}
	r.uvarint() // duration
	service = r.str()
	if r.err != nil {
		return "", "", "", "", fmt.Errorf("reading the keys of a binary span: %w", r.err)
	}
	return id, traceID, service, kind, nil
}

func (r *binReader) skipTime() {
	if r.byte() == timeUnix {
		r.uvarint()
		r.uvarint()
		return
	}
	r.str() // timeText; anything else fails on decoding
}
