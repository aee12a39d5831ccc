package datagram

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// FuzzParse checks that Parse never panics, returns only *Error, keeps its
// invariants, and that an accepted datagram re-sent in the canonical v1
// form parses to the same call.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"0\tGET\tapi.example.com\t/users\t12\n",
		"1\tget\thttps://API.example.com:8443/a?b=c#d\t0.125\r\n",
		"0  post https://u:p@api.stripe.com/ /v1/charges?limit=3 12.5",
		"0\tGET\t[fe80::1%25eth0]:80\t\t1e-05\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Parse(b)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Reason == "" {
				t.Fatalf("error %v (%T) is not an *Error with a Reason", err, err)
			}
			return
		}
		checkInvariants(t, d)
		if want := d.Path + map[bool]string{true: "?" + d.Query}[d.Query != ""]; d.Target() != want {
			t.Fatalf("%q: Target() = %q, want %q", b, d.Target(), want)
		}
		again := fmt.Sprintf("1\t%s\t%s://%s%s", d.Method, orHTTP(d.Scheme), d.Host, d.Path)
		if d.Query != "" {
			again += "?" + d.Query
		}
		again += fmt.Sprintf("\t%d.%06d\n", d.Duration/time.Millisecond, d.Duration%time.Millisecond)
		d2, err := Parse([]byte(again))
		if err != nil {
			t.Fatalf("%q parsed to %+v, whose v1 form %q fails: %v", b, d, again, err)
		}
		if d2.Method != d.Method || d2.Host != d.Host || d2.Path != d.Path || d2.Query != d.Query || d2.Duration != d.Duration {
			t.Fatalf("%q parsed to %+v, but its v1 form %q to %+v", b, d, again, d2)
		}
	})
}

func orHTTP(scheme string) string {
	if scheme == "" {
		return "http"
	}
	return scheme
}

func checkInvariants(t *testing.T, d Datagram) {
	t.Helper()
	if d.Version != 0 && d.Version != 1 {
		t.Fatalf("version %d: %+v", d.Version, d)
	}
	if d.Method == "" || strings.ToUpper(d.Method) != d.Method {
		t.Fatalf("method %q not upper case: %+v", d.Method, d)
	}
	for i := 0; i < len(d.Method); i++ {
		if !tchar[d.Method[i]] {
			t.Fatalf("method %q not a token: %+v", d.Method, d)
		}
	}
	if d.Scheme != "" && d.Scheme != "http" && d.Scheme != "https" || d.Version == 1 && d.Scheme == "" {
		t.Fatalf("scheme %q: %+v", d.Scheme, d)
	}
	if d.Host == "" || strings.ContainsAny(d.Host, "/?#@ \t") || strings.ToLower(d.Host) != d.Host {
		t.Fatalf("host %q: %+v", d.Host, d)
	}
	if !strings.HasPrefix(d.Path, "/") || strings.ContainsAny(d.Path, "?# \t") {
		t.Fatalf("path %q: %+v", d.Path, d)
	}
	if strings.ContainsAny(d.Query, "# \t") {
		t.Fatalf("query %q: %+v", d.Query, d)
	}
	if d.Duration < 0 || d.Duration > maxDuration {
		t.Fatalf("duration %v: %+v", d.Duration, d)
	}
}
