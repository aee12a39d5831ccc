package redact

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// card16 turns any seed into a Luhn-valid 16-digit number.
func card16(seed uint64) string {
	s := strconv.FormatUint(seed%1e15, 10)
	return withCheck(strings.Repeat("0", 15-len(s)) + s)
}

// FuzzText inserts a card between two fuzzed halves, set off by spaces (a
// card glued to more digits is a longer number, not a card).
func FuzzText(f *testing.F) {
	f.Add("hello world", uint64(411111111111111))
	f.Add("Bearer 1234 5678 -", uint64(0))
	f.Add("eyJ.a.b AKIA 4111-", uint64(555555555555444))
	r := MustNew(Config{Emails: true})
	f.Fuzz(func(t *testing.T, s string, seed uint64) {
		card := card16(seed)
		in := s[:len(s)/2] + " " + card + " " + s[len(s)/2:]
		out := r.Text(in)
		// s may hold the same digits itself, glued to others.
		if strings.Count(out, card) > strings.Count(s, card) {
			t.Fatalf("card %s left in %q", card, out)
		}
		if utf8.ValidString(in) && !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 from %q: %q", in, out)
		}
	})
}

// FuzzURL checks that URL never panics, that what net/url accepted it
// still accepts, and that a card in a query value is gone.
func FuzzURL(f *testing.F) {
	for _, s := range []string{
		"https://u:p@example.com:8443/a/b?token=x&a=1#frag",
		"/p?a=1&&b&=c&Api%5Fkey=z",
		"//h/%zz?%41=%42#access_token=1",
		"token=a/b",
		"http://[::1]:80/x?y#z=1",
	} {
		f.Add(s, uint64(1))
	}
	r := MustNew(Default())
	f.Fuzz(func(t *testing.T, s string, seed uint64) {
		out := r.URL(s)
		if _, err := url.Parse(s); err == nil {
			if _, err := url.Parse(out); err != nil {
				t.Fatalf("%q parsed but %q does not: %v", s, out, err)
			}
		}
		card := card16(seed)
		withCard := "https://h/p?n=" + card + "&" + strings.ReplaceAll(s, "#", "")
		if out := r.URL(withCard); strings.Contains(out, "n="+card) {
			t.Fatalf("card left in %q", out)
		}
	})
}

// FuzzJSON checks that valid JSON stays valid.
func FuzzJSON(f *testing.F) {
	for _, s := range []string{`{"a":1,"password":"x","b":[1,{"token":2}]}`, `[]`, `"x"`, `{"a" : { } , "secret" : [ ] }`} {
		f.Add(s)
	}
	r := MustNew(Config{JSONFields: []FieldRule{{Name: "a", Action: ActionDrop}}})
	f.Fuzz(func(t *testing.T, s string) {
		out := r.JSON([]byte(s))
		if json.Valid([]byte(s)) && !json.Valid(out) {
			t.Fatalf("%q became invalid: %q", s, out)
		}
	})
}
