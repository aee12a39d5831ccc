package otlp

import (
	"fmt"
	"strings"
	"testing"
)

// TestStrArena checks that strings made before the buffer grows keep
// their bytes, and that a nil arena allocates as usual.
func TestStrArena(t *testing.T) {
	a := &strArena{buf: make([]byte, 0, 8)}
	var got, want []string
	for i := range 500 {
		x, y := fmt.Sprint("/p", i), strings.Repeat("q", i%7)
		got = append(got, a.join(x, "?", y), a.bytes([]byte(x)))
		want = append(want, x+"?"+y, x)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("string %d = %q, want %q", i, got[i], want[i])
		}
	}
	if s := a.bytes(nil); s != "" {
		t.Errorf("empty bytes = %q", s)
	}
	var none *strArena
	if s := none.join("a", "?", "b"); s != "a?b" {
		t.Errorf("nil arena join = %q", s)
	}
	if s := none.bytes([]byte("ab")); s != "ab" {
		t.Errorf("nil arena bytes = %q", s)
	}
}
