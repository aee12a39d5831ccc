package datagram

import (
	"strings"
	"testing"
)

func TestTarget(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"0\tGET\ta.b\t/x?y=1\t1", "/x?y=1"},
		{"0\tGET\ta.b\t/x?y=1#frag\t1", "/x?y=1"},
		{"0\tGET\ta.b\t/x?\t1", "/x"},
		{"0\tGET\ta.b\t?y=1\t1", "/?y=1"},
		{"0\tGET\ta.b\t\t1", "/"},
		{"1\tGET\thttps://a.b?y=1\t1", "/?y=1"},
		{"1\tGET\thttps://a.b/p/q?y=1&z=2#f\t1", "/p/q?y=1&z=2"},
		{"1\tGET\thttps://a.b\t1", "/"},
	} {
		d, err := Parse([]byte(tc.in))
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if got := d.Target(); got != tc.want {
			t.Errorf("%q: Target() = %q, want %q", tc.in, got, tc.want)
		}
		if want := d.Path + strings.Repeat("?"+d.Query, min(len(d.Query), 1)); d.Target() != want {
			t.Errorf("%q: Target() = %q, want Path?Query %q", tc.in, d.Target(), want)
		}
	}
}
