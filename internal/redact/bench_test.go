package redact

import (
	"net/http"
	"testing"
)

func BenchmarkText(b *testing.B) {
	r := MustNew(Config{Emails: true})
	for _, bc := range []struct{ name, in string }{
		{"no_match_short", "GET /api/v1/users/42"},
		{"no_match_120B", "upstream request failed after 3 retries: connection reset by peer (service=checkout, region=eu-west-1)"},
		{"match_card", "charged card 4111 1111 1111 1111 for order 1234"},
		{"match_bearer", "Authorization: Bearer abcdef0123456789"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.in)))
			for b.Loop() {
				r.Text(bc.in)
			}
		})
	}
}

func BenchmarkURL(b *testing.B) {
	r := MustNew(Default())
	for _, bc := range []struct{ name, in string }{
		{"no_match", "https://api.example.com/v1/orders/12345/items?page=2&limit=50&sort=desc"},
		{"match", "https://api.example.com/v1/cb?code=abc&state=xyz&access_token=t0k3n"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r.URL(bc.in)
			}
		})
	}
}

func BenchmarkJSON(b *testing.B) {
	r := MustNew(Default())
	for _, bc := range []struct{ name, in string }{
		{"no_match", `{"id":123,"user":{"name":"bob","roles":["admin","dev"]},"items":[{"sku":"A-1","qty":2,"price":9.99},{"sku":"B-2","qty":1,"price":19.5}],"note":"deliver after 5pm"}`},
		{"match", `{"id":123,"user":{"name":"bob","password":"hunter2"},"items":[{"sku":"A-1","qty":2}],"access_token":"abc","note":"card 4111111111111111"}`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			body := []byte(bc.in)
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				r.JSON(body)
			}
		})
	}
}

func BenchmarkHeaders(b *testing.B) {
	r := MustNew(Default())
	src := http.Header{
		"Accept": {"*/*"}, "User-Agent": {"curl/8.5"}, "Content-Type": {"application/json"},
		"Authorization": {"Bearer x"}, "X-Request-Id": {"4bf92f3577b34da6"}, "Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
	}
	h := http.Header{}
	b.ReportAllocs()
	for b.Loop() {
		for k, v := range src {
			h[k] = append(h[k][:0], v...)
		}
		r.Headers(h)
	}
}
