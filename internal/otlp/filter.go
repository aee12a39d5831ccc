package otlp

import (
	"reflect"

	"github.com/vigil-dev/vigil/internal/span"
)

// filter applies Options.Filter and drops spans it made invalid.
//
// The spans of one resource share its attribute map (OTel.Resource), and
// filtering it once per span was a fifth of a span's cost: Filter sees a
// shared map with the first of its spans only, and what it leaves there
// is every span's. The others' calls get an empty map in its place, so
// a Filter that writes into the resource never meets a nil map; what it
// writes there is dropped. Redaction counts a shared resource's
// attributes once per resource of a request, as they were sent once.
func (h *Handler) filter(res *Result) {
	var sh sharedResource
	kept := res.Spans[:0]
	for i := range res.Spans {
		s := &res.Spans[i]
		if h.opts.Filter != nil {
			sh.filter(s, h.opts.Filter)
		}
		if s.Validate() != nil {
			res.reject(ReasonInvalid)
			continue
		}
		if len(kept) == i { // nothing dropped yet: no 544-byte copy onto itself
			kept = kept[:i+1]
			continue
		}
		kept = append(kept, *s)
	}
	res.Spans = kept
}

// sharedResource is the resource map of the last span filtered: as sent
// (in), as Filter left it (out).
type sharedResource struct {
	in, out map[string]any
	empty   map[string]any // stands in for in on the later spans
}

func (sh *sharedResource) filter(s *span.Span, f func(*span.Span)) {
	var in map[string]any
	if s.OTel != nil {
		in = s.OTel.Resource
	}
	if in == nil || !sameMap(in, sh.in) {
		f(s)
		sh.in, sh.out = nil, nil
		if in != nil && s.OTel != nil {
			sh.in, sh.out = in, s.OTel.Resource
		}
		return
	}
	if sh.empty == nil || len(sh.empty) > 0 {
		sh.empty = map[string]any{}
	}
	s.OTel.Resource = sh.empty
	f(s)
	if s.OTel != nil && s.OTel.Resource != nil && sameMap(s.OTel.Resource, sh.empty) {
		s.OTel.Resource = sh.out
	}
}

// sameMap reports whether a and b are the same map (not equal ones).
func sameMap(a, b map[string]any) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}
