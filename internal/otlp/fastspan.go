package otlp

import (
	"math"
	"time"

	"github.com/vigil-dev/vigil/internal/span"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
)

// wireSpan is what a first pass over a Span message finds: its singular
// fields (the last one wins, as in protobuf) and how many attributes,
// events and links follow.
type wireSpan struct {
	traceID, spanID, parentID, traceState, name, statusMsg field

	kind, statusCode                          int32
	start, end                                uint64
	droppedAttrs, droppedEvents, droppedLinks uint32
	attrs, events, links                      int
}

func (d *decoder) scanSpan(lo, hi int, w *wireSpan) error {
	var f field
	it := d.fields(lo, hi)
	for it.next(&f) {
		switch {
		case f.bytes(1):
			w.traceID = f
		case f.bytes(2):
			w.spanID = f
		case f.bytes(3):
			w.traceState = f
		case f.bytes(4):
			w.parentID = f
		case f.bytes(5):
			w.name = f
		case f.is(6, protowire.VarintType):
			w.kind = int32(f.v)
		case f.is(7, protowire.Fixed64Type):
			w.start = f.v
		case f.is(8, protowire.Fixed64Type):
			w.end = f.v
		case f.bytes(9):
			if w.attrs < maxListed {
				d.attrAt[w.attrs] = [2]int{f.lo, f.hi}
			}
			w.attrs++
		case f.is(10, protowire.VarintType):
			w.droppedAttrs = uint32(f.v)
		case f.bytes(11):
			w.events++
		case f.is(12, protowire.VarintType):
			w.droppedEvents = uint32(f.v)
		case f.bytes(13):
			w.links++
		case f.is(14, protowire.VarintType):
			w.droppedLinks = uint32(f.v)
		case f.bytes(15): // repeated, the Status messages merge
			st := d.fields(f.lo, f.hi)
			for st.next(&f) {
				switch {
				case f.bytes(2):
					w.statusMsg = f
				case f.is(3, protowire.VarintType):
					w.statusCode = int32(f.v)
				}
			}
			if st.err != nil {
				return st.err
			}
		}
	}
	return it.err
}

// span converts the Span at body[lo:hi] as converter.span does, into
// the next of Result.Spans unless it is rejected.
func (d *decoder) span(lo, hi int, r *resourceInfo, scope span.Scope) (Reason, error) {
	var w wireSpan
	if err := d.scanSpan(lo, hi, &w); err != nil {
		return "", err
	}
	x := &d.extras[len(d.res.Spans)]
	reason, ids := d.ids(&w, &x.parent)
	if reason != "" {
		return reason, d.skip(lo, hi, spanDesc, 3)
	}
	// In the decoder, not on the stack: escape analysis sees it flow into
	// returned values through attrBuilder, an allocation per span.
	d.conv = attrConv{lim: d.lim, truncated: r.truncated, dropped: r.dropped}
	a := &d.conv
	// attributes go on d.list unless some might be over MaxAttributes
	listed := w.attrs <= min(maxListed, d.lim.MaxAttributes)
	if !listed {
		d.sem.reset()
		d.list.tmpl = nil
	}
	ab := attrBuilder{d: d, a: a, hint: min(w.attrs, d.lim.MaxAttributes), sem: &d.sem}
	o := &x.otel
	*o = span.OTel{
		Resource:      r.attrs,
		DroppedEvents: int(w.droppedEvents),
		DroppedLinks:  int(w.droppedLinks),
	}
	if w.events > 0 {
		o.Events = make([]span.SpanEvent, min(w.events, d.lim.MaxEvents))
		o.DroppedEvents += w.events - len(o.Events)
	}
	if w.links > 0 {
		o.Links = make([]span.Link, 0, min(w.links, d.lim.MaxLinks))
	}
	if err := d.parts(lo, hi, &w, a, &ab, o, listed); err != nil {
		return "", err
	}
	o.Attributes, o.DroppedAttributes = ab.m, int(w.droppedAttrs)+ab.over
	if listed {
		o.Attributes = d.list.build(&d.sem)
	}
	o.TraceState = a.str(d.str(w.traceState))
	if scope != (span.Scope{}) {
		x.scope = scope
		o.Scope = &x.scope
	}
	start := time.Unix(0, int64(w.start)).UTC()
	kind := kindOf(tracepb.Span_SpanKind(w.kind))
	d.res.Spans = append(d.res.Spans, span.Span{
		ID:        ids.id,
		Timestamp: start,
		Trace:     span.Trace{ID: ids.trace},
		Parent:    ids.parent,
		Span:      span.Info{ID: ids.span, Kind: kind, Name: a.str(d.str(w.name)), Type: typeOf(kind)},
		Service:   r.service,
		Process:   r.process,
		Vigil:     span.Vigil{Source: span.SourceOTLP, Format: d.c.format},
		OTel:      o,
	})
	out := &d.res.Spans[len(d.res.Spans)-1]
	d.c.duration(out, w.start, w.end)
	r.place(out)
	st := statusOf(&x.status, tracepb.Status_StatusCode(w.statusCode), d.str(w.statusMsg), a)
	describe(out, &d.sem, st, &x.http, &d.ends)
	if a.truncated > 0 || a.dropped > 0 { // mark adds to the map
		d.list.tmpl = nil
	}
	a.mark(o)
	return "", nil
}

// parts converts the attributes, events and links of the Span at
// body[lo:hi]: listed attributes onto d.list, the others into ab.
func (d *decoder) parts(lo, hi int, w *wireSpan, a *attrConv, ab *attrBuilder, o *span.OTel, listed bool) error {
	if listed && w.events == 0 && w.links == 0 {
		// only attributes: where scanSpan found them, not another pass
		for _, at := range d.attrAt[:w.attrs] {
			if err := d.list.add(d, a, at[0], at[1]); err != nil {
				return err
			}
		}
		return nil
	}
	var f field
	events := 0
	it := d.fields(lo, hi)
	for it.next(&f) {
		var err error
		switch {
		case f.bytes(9) && listed:
			err = d.list.add(d, a, f.lo, f.hi)
		case f.bytes(9):
			err = ab.keyValue(f.lo, f.hi, 0, 4)
		case f.bytes(11):
			if events < len(o.Events) {
				err = d.event(f.lo, f.hi, a, &o.Events[events])
			} else {
				err = d.skip(f.lo, f.hi, eventDesc, 4)
			}
			events++
		case f.bytes(13):
			err = d.link(f.lo, f.hi, a, o)
		}
		if err != nil {
			return err
		}
	}
	return it.err
}

// spanIDs are a span's ids in hex, all cut from one string.
type spanIDs struct {
	id, trace, span string
	parent          *span.Parent
}

// ids checks the ids and start time as converter.span does and makes
// the hex strings: span.TimeOrderedID's prefix, span id and parent id.
func (d *decoder) ids(w *wireSpan, parent *span.Parent) (Reason, spanIDs) {
	var out spanIDs
	var ok bool
	if out.trace, ok = d.c.traceID(d.id(w.traceID)); !ok {
		return ReasonTraceID, out
	}
	sid, pid := d.id(w.spanID), d.id(w.parentID)
	if len(sid) != 8 || allZero(sid) {
		return ReasonSpanID, out
	}
	if allZero(pid) { // none, or all zeros: a root span
		pid = nil
	} else if len(pid) != 8 {
		return ReasonParentID, out
	}
	if w.start == 0 || w.start > math.MaxInt64 {
		return ReasonStartTime, out
	}
	const digits = "0123456789abcdef"
	var buf [13 + 16 + 16]byte
	us := uint64(time.Unix(0, int64(w.start)).UnixMicro())
	for i := 12; i >= 0; i-- {
		buf[i] = digits[us&0xf]
		us >>= 4
	}
	for i, x := range sid {
		buf[13+2*i], buf[14+2*i] = digits[x>>4], digits[x&0xf]
	}
	for i, x := range pid {
		buf[29+2*i], buf[30+2*i] = digits[x>>4], digits[x&0xf]
	}
	s := d.arena.bytes(buf[:13+2*len(sid)+2*len(pid)])
	out.id, out.span = s[:29], s[13:29]
	if pid != nil {
		*parent = span.Parent{ID: s[29:]}
		out.parent = parent
	}
	return "", out
}

// event converts the Event at body[lo:hi] into e.
func (d *decoder) event(lo, hi int, a *attrConv, e *span.SpanEvent) error {
	var name, f field
	var t uint64
	ab := attrBuilder{d: d, a: a}
	it := d.fields(lo, hi)
	for it.next(&f) {
		switch {
		case f.is(1, protowire.Fixed64Type):
			t = f.v
		case f.bytes(2):
			name = f
		case f.bytes(3):
			if err := ab.keyValue(f.lo, f.hi, 0, 5); err != nil {
				return err
			}
		}
	}
	if it.err != nil {
		return it.err
	}
	a.dropped += ab.over
	*e = span.SpanEvent{Time: nanoTime(t), Name: a.str(d.str(name)), Attributes: ab.m}
	return nil
}

// link converts the Link at body[lo:hi] into o.Links, or counts it
// dropped when its ids are invalid or o.Links is full.
func (d *decoder) link(lo, hi int, a *attrConv, o *span.OTel) error {
	var traceID, spanID, state, f field
	it := d.fields(lo, hi)
	for it.next(&f) {
		switch {
		case f.bytes(1):
			traceID = f
		case f.bytes(2):
			spanID = f
		case f.bytes(3):
			state = f
		}
	}
	if it.err != nil {
		return it.err
	}
	tid, ok1 := idHex(d.id(traceID), 16)
	sid, ok2 := idHex(d.id(spanID), 8)
	if !ok1 || !ok2 || len(o.Links) == d.lim.MaxLinks {
		o.DroppedLinks++
		return d.skip(lo, hi, linkDesc, 4)
	}
	ab := attrBuilder{d: d, a: a}
	if err := d.keyValues(&ab, lo, hi, 4, 0, 5); err != nil {
		return err
	}
	a.dropped += ab.over
	o.Links = append(o.Links, span.Link{TraceID: tid, SpanID: sid, TraceState: a.str(d.str(state)), Attributes: ab.m})
	return nil
}
