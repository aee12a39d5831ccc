package otlp

import (
	"maps"
	"sync"

	"github.com/vigil-dev/vigil/internal/span"
)

// decodeConvert is decodeProtobuf and Convert in one pass over the wire
// (see fastConvert), with the same Result and errors: a body the fast
// path does not take goes through the reference path.
func decodeConvert(body []byte, format string, lim Limits) (Result, error) {
	if res, err := fastConvert(body, format, lim); err == nil {
		return res, nil
	}
	req, err := decodeProtobuf(body)
	if err != nil {
		return Result{}, err
	}
	return Convert(req, format, lim), nil
}

// decoder is the state of one fastConvert. Its scratch (semantic slots,
// the resource map) is pooled; nothing reachable from the Result is.
type decoder struct {
	b    []byte // the body
	s    string // string(b): every string converted is a substring of it
	lim  Limits
	res  Result
	c    converter
	sem  semAttrs // the current span's semantic attributes
	ends endsMemo // the previous span's endpoints
	// where scanSpan found the current span's first attributes
	attrAt [maxListed][2]int
	conv   attrConv // the current span's conversion counts
	rm     map[string]any
	// what the spans point to, one allocation per request
	extras []spanExtras
	list   spanAttrs
	arena  *strArena // the spans' short strings; never pooled
}

// spanExtras are the parts of one span that are pointed to.
type spanExtras struct {
	otel   span.OTel
	status span.Status
	scope  span.Scope
	parent span.Parent
	http   span.HTTP
}

var decoders = sync.Pool{New: func() any { return new(decoder) }}

// fastConvert decodes an ExportTraceServiceRequest straight into spans:
// errMalformed when protobuf would refuse body, errFallback when it is
// left to the reference path, else what Convert(decodeProtobuf(body))
// returns.
func fastConvert(body []byte, format string, lim Limits) (Result, error) {
	n, err := countSpans(body)
	if err != nil {
		return Result{}, err
	}
	d := decoders.Get().(*decoder)
	defer d.release()
	d.b, d.s, d.lim = body, string(body), lim.withDefaults()
	d.c = converter{lim: d.lim, format: format}
	d.res = Result{Spans: make([]span.Span, 0, n)}
	d.extras = make([]spanExtras, n)
	d.arena = &strArena{buf: make([]byte, 0, n*arenaPerSpan)}
	d.sem.arena = d.arena
	it := d.fields(0, len(body))
	var f field
	for it.next(&f) {
		if f.bytes(1) {
			if err := d.resourceSpans(f.lo, f.hi); err != nil {
				return Result{}, err
			}
		}
	}
	if it.err != nil {
		return Result{}, it.err
	}
	return d.res, nil
}

// release pools d, keeping nothing of the body: its strings are the
// spans' strings.
func (d *decoder) release() {
	rm := d.rm
	if len(rm) > maxPooledAttrs {
		rm = nil
	}
	clear(rm)
	*d = decoder{rm: rm}
	decoders.Put(d)
}

const maxPooledAttrs = 256

// arenaPerSpan is the arena's first size per span: ids (45 bytes) and a
// request target.
const arenaPerSpan = 96

// countSpans counts the spans in body (to size the Result once),
// checking the two message levels above them.
func countSpans(body []byte) (int, error) {
	n := 0
	d := decoder{b: body}
	it := d.fields(0, len(body))
	var f field
	for it.next(&f) {
		if !f.bytes(1) {
			continue
		}
		rs := d.fields(f.lo, f.hi)
		for rs.next(&f) {
			if !f.bytes(2) {
				continue
			}
			ss := d.fields(f.lo, f.hi)
			for ss.next(&f) {
				if f.bytes(2) {
					n++
				}
			}
			if ss.err != nil {
				return 0, ss.err
			}
		}
		if rs.err != nil {
			return 0, rs.err
		}
	}
	return n, it.err
}

// resourceSpans converts one ResourceSpans. Its resource may come after
// its spans, and may be repeated (protobuf merges the two): the resource
// is converted first, from every occurrence.
func (d *decoder) resourceSpans(lo, hi int) error {
	r := resourceInfo{}
	a := attrConv{lim: d.lim}
	var sem semAttrs
	ab := attrBuilder{d: d, a: &a, sem: &sem}
	var f field
	it := d.fields(lo, hi)
	for it.next(&f) {
		if !f.bytes(1) {
			continue
		}
		res := d.fields(f.lo, f.hi)
		for res.next(&f) {
			switch {
			case f.bytes(1):
				if ab.m == nil {
					clear(d.rm)
					if d.rm == nil {
						d.rm = map[string]any{}
					}
					ab.m = d.rm
				}
				if err := ab.keyValue(f.lo, f.hi, 0, 3); err != nil {
					return err
				}
			case f.bytes(3):
				if err := d.skip(f.lo, f.hi, entityDesc, 3); err != nil {
					return err
				}
			}
		}
		if res.err != nil {
			return res.err
		}
	}
	if it.err != nil {
		return it.err
	}
	// d.rm is scratch; its values are this body's, so a shallow copy is
	// the resource's own map, shared by its spans (see resourceInfo).
	r.attrs, r.truncated, r.dropped = maps.Clone(ab.m), a.truncated, a.dropped+ab.over
	r.describe(&sem)
	it = d.fields(lo, hi)
	for it.next(&f) {
		if f.bytes(2) {
			if err := d.scopeSpans(f.lo, f.hi, &r); err != nil {
				return err
			}
		}
	}
	return it.err
}

// scopeSpans converts one ScopeSpans; like the resource, its scope may
// come last or be repeated.
func (d *decoder) scopeSpans(lo, hi int, r *resourceInfo) error {
	var name, version field
	var f field
	it := d.fields(lo, hi)
	for it.next(&f) {
		if !f.bytes(1) {
			continue
		}
		sc := d.fields(f.lo, f.hi)
		for sc.next(&f) {
			switch {
			case f.bytes(1):
				name = f
			case f.bytes(2):
				version = f
			case f.bytes(3):
				if err := d.skip(f.lo, f.hi, keyValueDesc, 4); err != nil {
					return err
				}
			}
		}
		if sc.err != nil {
			return sc.err
		}
	}
	if it.err != nil {
		return it.err
	}
	a := attrConv{lim: d.lim}
	scope := span.Scope{Name: a.str(d.str(name)), Version: a.str(d.str(version))}
	it = d.fields(lo, hi)
	for it.next(&f) {
		if !f.bytes(2) {
			continue
		}
		reason, err := d.span(f.lo, f.hi, r, scope)
		if err != nil {
			return err
		}
		if reason != "" {
			d.res.reject(reason)
		}
	}
	return it.err
}

// str is the string payload of f, "" when f was not seen.
func (d *decoder) str(f field) string { return d.s[f.lo:f.hi] }

// id is the bytes payload of f, nil when f was not seen.
func (d *decoder) id(f field) []byte {
	if f.hi == f.lo {
		return nil
	}
	return d.b[f.lo:f.hi:f.hi] // never appended to: it is the body
}
