package agent

import (
	"encoding/binary"
	"encoding/hex"
	"math/bits"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/reassembly"
	"github.com/vigil-dev/vigil/internal/span"
)

// The span text's ids must be what the span package's functions make.
func TestSpanTextIDs(t *testing.T) {
	tr := newTracker(trackerOptions{node: "n", clock: clock{offset: 1_700_000_000_000_000_000}})
	connID := span.IDOf("n", 42, 7, 123456789)
	c := &conn{connID: connID, idHash: span.IDSeed(connID), proc: &Process{Service: "svc"}}
	const parent = "00f067aa0ba902b7"
	for i, tc := range []struct {
		dir         reassembly.Direction
		traceparent string
		spanID      func(idOf string) string
	}{
		{reassembly.Ingress, "", func(id string) string { return id }},
		{reassembly.Egress, "", func(id string) string { return id }},
		{reassembly.Ingress, "00-4bf92f3577b34da6a3ce929d0e0e4736-" + parent + "-01", func(id string) string { return id }},
		{reassembly.Egress, "00-4bf92f3577b34da6a3ce929d0e0e4736-" + parent + "-01", func(string) string { return parent }},
	} {
		c.index = i * 1000003
		var s span.Span
		tr.baseSpan(&s, c, frame{reqDir: tc.dir, start: uint64(i) * 123456789, end: uint64(i)*123456789 + 5000, traceparent: tc.traceparent})
		tr.text.done()
		idOf := span.IDOf(connID, uint64(c.index))
		if want := span.TimeOrderedID(s.Timestamp, idOf); s.ID != want {
			t.Errorf("%d: id %q, want %q", i, s.ID, want)
		}
		if want := tc.spanID(idOf); s.Span.ID != want {
			t.Errorf("%d: span.id %q, want %q", i, s.Span.ID, want)
		}
		if len(s.Trace.ID) != 32 || !isLowerHex(s.Trace.ID) {
			t.Errorf("%d: trace id %q", i, s.Trace.ID)
		}
		if tc.traceparent == "" && s.Trace.ID[:12] != hexOf48(uint64(s.Timestamp.UnixMilli())) {
			t.Errorf("%d: trace id %q does not start with the milliseconds of %v", i, s.Trace.ID, s.Timestamp)
		}
	}
}

func hexOf48(v uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v<<16)
	return hex.EncodeToString(b[:6])
}

// traceID writes its two words as the bytes of hex.EncodeToString of
// big-endian then little-endian words.
func TestSpanTextHex(t *testing.T) {
	for _, v := range []uint64{0, 1, 0x0123456789abcdef, ^uint64(0), uint64(time.Now().UnixNano())} {
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], v)
		binary.LittleEndian.PutUint64(b[8:], v^0x5555)
		var st spanText
		var got string
		st.hex(v, 16)
		st.hex(bits.ReverseBytes64(v^0x5555), 16)
		st.set(&got, 0)
		st.done()
		if want := hex.EncodeToString(b[:]); got != want {
			t.Errorf("%x: %q, want %q", v, got, want)
		}
	}
}
