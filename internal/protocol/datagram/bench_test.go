package datagram

import "testing"

// benchMix is a realistic mix: mostly canonical senders, some variants,
// a few rejects.
var benchMix = [][]byte{
	[]byte("0\tGET\tapi.example.com\t/v1/users/42\t12\n"),
	[]byte("1\tPOST\thttps://api.stripe.com/v1/charges?limit=3\t183.25\n"),
	[]byte("0\tGET\tusers.internal:8080\t/health\t0.412\n"),
	[]byte("1\tGET\thttps://graph.microsoft.com/v1.0/me/messages?$top=10&$select=subject\t95\n"),
	[]byte("0 get https://api.github.com /repos/vigil-dev/vigil/pulls?state=open 41.5"),
	[]byte("1\tPUT\thttp://10.0.0.5:8080/cache/key-123\t3\r\n"),
	[]byte("0\tDELETE\tHTTPS://S3.Amazonaws.com\t/bucket/object.tar.gz\t22.125\n"),
	[]byte("7\tGET\thttps://a.b/\t1\n"),
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	var bytes int64
	for _, m := range benchMix {
		bytes += int64(len(m))
	}
	b.SetBytes(bytes / int64(len(benchMix)))
	for i := 0; b.Loop(); i++ {
		_, _ = Parse(benchMix[i%len(benchMix)])
	}
}

// BenchmarkParseCanonical is the common case alone: one allocation.
func BenchmarkParseCanonical(b *testing.B) {
	b.ReportAllocs()
	m := benchMix[1]
	for b.Loop() {
		_, _ = Parse(m)
	}
}
