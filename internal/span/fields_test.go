package span

import (
	"slices"
	"testing"
)

func TestIdentifyingFields(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"/cart/1234?order=o-77&page=x", []string{"1234", "77"}},
		{"GET cart:u42", []string{"u42"}},
		{"/health /v /7", nil},
		{"id=550e8400-e29b-41d4", []string{"550e8400", "e29b", "41d4"}},
	}
	for _, tt := range tests {
		var got []string
		IdentifyingFields(tt.text, func(f string) bool { got = append(got, f); return true })
		if !slices.Equal(got, tt.want) {
			t.Errorf("IdentifyingFields(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
	n := 0
	IdentifyingFields("a1 b2 c3", func(string) bool { n++; return n < 2 })
	if n != 2 {
		t.Errorf("fn called %d times after returning false, want it to stop at 2", n)
	}
}
