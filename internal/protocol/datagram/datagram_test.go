package datagram

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseAccepts(t *testing.T) {
	ms := time.Millisecond
	stripe := Datagram{Version: 0, Method: "POST", Scheme: "https", Host: "api.stripe.com", Path: "/v1/charges", Query: "limit=3", Duration: 12500 * time.Microsecond}
	tests := []struct {
		name string
		in   string
		want Datagram
	}{
		{"v0 canonical", "0\tGET\tapi.example.com\t/users\t12\n",
			Datagram{Version: 0, Method: "GET", Host: "api.example.com", Path: "/users", Duration: 12 * ms}},
		{"v1 canonical", "1\tGET\thttps://api.example.com/users\t12\n",
			Datagram{Version: 1, Method: "GET", Scheme: "https", Host: "api.example.com", Path: "/users", Duration: 12 * ms}},
		{"v0 no line feed", "0\tGET\tapi.example.com\t/users\t12",
			Datagram{Version: 0, Method: "GET", Host: "api.example.com", Path: "/users", Duration: 12 * ms}},
		{"v1 no line feed", "1\tGET\thttp://a.b/c\t3",
			Datagram{Version: 1, Method: "GET", Scheme: "http", Host: "a.b", Path: "/c", Duration: 3 * ms}},
		{"v0 CRLF", "0\tGET\tapi.example.com\t/users\t12\r\n",
			Datagram{Version: 0, Method: "GET", Host: "api.example.com", Path: "/users", Duration: 12 * ms}},
		{"v1 CRLF", "1\tDELETE\thttps://a.b/c/1\t7\r\n",
			Datagram{Version: 1, Method: "DELETE", Scheme: "https", Host: "a.b", Path: "/c/1", Duration: 7 * ms}},
		{"v0 single spaces", "0 GET api.example.com /users 12\n",
			Datagram{Version: 0, Method: "GET", Host: "api.example.com", Path: "/users", Duration: 12 * ms}},
		{"v0 runs of spaces", "0   GET  api.example.com     /users  12   \n",
			Datagram{Version: 0, Method: "GET", Host: "api.example.com", Path: "/users", Duration: 12 * ms}},
		{"v1 spaces", "1 PUT  https://a.b/x?y=1 0.5",
			Datagram{Version: 1, Method: "PUT", Scheme: "https", Host: "a.b", Path: "/x", Query: "y=1", Duration: 500 * time.Microsecond}},
		{"tabs with spaces around fields", "0\t GET \tapi.example.com \t /users\t 12 \n",
			Datagram{Version: 0, Method: "GET", Host: "api.example.com", Path: "/users", Duration: 12 * ms}},
		{"v0 host with scheme", "0\tPOST\thttps://api.stripe.com\t/v1/charges?limit=3\t12.5\n", stripe},
		{"v0 host with scheme and trailing slash", "0\tPOST\thttps://api.stripe.com/\t/v1/charges?limit=3\t12.5\n", stripe},
		{"v0 host with upper-case scheme and host", "0\tPOST\tHTTPS://API.Stripe.COM\t/v1/charges?limit=3\t12.5\n", stripe},
		{"v0 host with scheme and port", "0\tGET\thttp://10.0.0.5:8080\t/health\t1\n",
			Datagram{Version: 0, Method: "GET", Scheme: "http", Host: "10.0.0.5:8080", Path: "/health", Duration: ms}},
		{"v0 host with port, no scheme", "0\tGET\tdb.internal:5984\t/_all_dbs\t1\n",
			Datagram{Version: 0, Method: "GET", Host: "db.internal:5984", Path: "/_all_dbs", Duration: ms}},
		{"v0 host with userinfo dropped", "0\tGET\thttps://user:secret@api.example.com\t/\t1\n",
			Datagram{Version: 0, Method: "GET", Scheme: "https", Host: "api.example.com", Path: "/", Duration: ms}},
		{"v0 IPv6 host", "0\tGET\thttp://[::1]:8080\t/x\t1\n",
			Datagram{Version: 0, Method: "GET", Scheme: "http", Host: "[::1]:8080", Path: "/x", Duration: ms}},
		{"v0 path with query", "0\tGET\tapi.stripe.com\t/v1/charges?limit=3\t12\n",
			Datagram{Version: 0, Method: "GET", Host: "api.stripe.com", Path: "/v1/charges", Query: "limit=3", Duration: 12 * ms}},
		{"v0 path with empty query", "0\tGET\ta.b\t/x?\t1\n",
			Datagram{Version: 0, Method: "GET", Host: "a.b", Path: "/x", Duration: ms}},
		{"v0 path with fragment dropped", "0\tGET\ta.b\t/x?q=1#top\t1\n",
			Datagram{Version: 0, Method: "GET", Host: "a.b", Path: "/x", Query: "q=1", Duration: ms}},
		{"v0 query only", "0\tGET\ta.b\t?q=1\t1\n",
			Datagram{Version: 0, Method: "GET", Host: "a.b", Path: "/", Query: "q=1", Duration: ms}},
		{"v0 empty path with tabs", "0\tGET\ta.b\t\t1\n",
			Datagram{Version: 0, Method: "GET", Host: "a.b", Path: "/", Duration: ms}},
		{"v0 percent escapes kept", "0\tGET\ta.b\t/a%20b?x=%2F\t1\n",
			Datagram{Version: 0, Method: "GET", Host: "a.b", Path: "/a%20b", Query: "x=%2F", Duration: ms}},
		{"v1 query", "1\tGET\thttps://api.stripe.com/v1/charges?limit=3&starting_after=ch_1\t40\n",
			Datagram{Version: 1, Method: "GET", Scheme: "https", Host: "api.stripe.com", Path: "/v1/charges", Query: "limit=3&starting_after=ch_1", Duration: 40 * ms}},
		{"v1 no path", "1\tGET\thttps://a.b\t1\n",
			Datagram{Version: 1, Method: "GET", Scheme: "https", Host: "a.b", Path: "/", Duration: ms}},
		{"v1 query without path", "1\tGET\thttps://a.b?x=1\t1\n",
			Datagram{Version: 1, Method: "GET", Scheme: "https", Host: "a.b", Path: "/", Query: "x=1", Duration: ms}},
		{"v1 port and userinfo", "1\tGET\thttp://u:p@Example.COM:8080/A/B\t1\n",
			Datagram{Version: 1, Method: "GET", Scheme: "http", Host: "example.com:8080", Path: "/A/B", Duration: ms}},
		{"v1 fragment dropped", "1\tGET\thttps://a.b/x#y?z\t1\n",
			Datagram{Version: 1, Method: "GET", Scheme: "https", Host: "a.b", Path: "/x", Duration: ms}},
		{"lower-case method", "0\tget\ta.b\t/\t1\n",
			Datagram{Version: 0, Method: "GET", Host: "a.b", Path: "/", Duration: ms}},
		{"mixed-case method", "1\tPaTcH\thttps://a.b/\t1\n",
			Datagram{Version: 1, Method: "PATCH", Scheme: "https", Host: "a.b", Path: "/", Duration: ms}},
		{"unknown method token", "0\tpropfind\ta.b\t/\t1\n",
			Datagram{Version: 0, Method: "PROPFIND", Host: "a.b", Path: "/", Duration: ms}},
		{"fractional ms", "0\tGET\ta.b\t/\t12.5\n",
			Datagram{Version: 0, Method: "GET", Host: "a.b", Path: "/", Duration: 12500 * time.Microsecond}},
		{"sub-ms", "0\tGET\ta.b\t/\t0.125\n",
			Datagram{Version: 0, Method: "GET", Host: "a.b", Path: "/", Duration: 125 * time.Microsecond}},
		{"ns rounding half up", "0\tGET\ta.b\t/\t0.0000005\n",
			Datagram{Version: 0, Method: "GET", Host: "a.b", Path: "/", Duration: 1}},
		{"ns rounding down", "0\tGET\ta.b\t/\t1.00000049999\n",
			Datagram{Version: 0, Method: "GET", Host: "a.b", Path: "/", Duration: ms}},
		{"zero", "0\tGET\ta.b\t/\t0\n",
			Datagram{Version: 0, Method: "GET", Host: "a.b", Path: "/", Duration: 0}},
		{"trailing dot", "0\tGET\ta.b\t/\t3.\n",
			Datagram{Version: 0, Method: "GET", Host: "a.b", Path: "/", Duration: 3 * ms}},
		{"leading dot", "0\tGET\ta.b\t/\t.5\n",
			Datagram{Version: 0, Method: "GET", Host: "a.b", Path: "/", Duration: 500 * time.Microsecond}},
		{"exponent", "0\tGET\ta.b\t/\t1e-05\n",
			Datagram{Version: 0, Method: "GET", Host: "a.b", Path: "/", Duration: 10}},
		{"plus sign", "0\tGET\ta.b\t/\t+2\n",
			Datagram{Version: 0, Method: "GET", Host: "a.b", Path: "/", Duration: 2 * ms}},
		{"exactly 24h", "0\tGET\ta.b\t/\t86400000\n",
			Datagram{Version: 0, Method: "GET", Host: "a.b", Path: "/", Duration: 24 * time.Hour}},
		{"UTF-8 host and path", "0\tGET\tMünchen.example\t/straße\t1\n",
			Datagram{Version: 0, Method: "GET", Host: "münchen.example", Path: "/straße", Duration: ms}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.in))
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		reason Reason
		msg    string // substring of Error(), when set
	}{
		{"nil", "", ReasonEmpty, "datagram is empty"},
		{"line feed only", "\n", ReasonEmpty, ""},
		{"white space only", " \t\r\n", ReasonEmpty, ""},
		{"too long", "0\tGET\ta.b\t/" + strings.Repeat("a", MaxSize) + "\t1\n", ReasonTooLong, "more than 8192"},
		{"unknown version", "7\tGET\ta.b\t/\t1\n", ReasonUnknownVersion, `datagram version "7" is unknown (known: 0, 1)`},
		{"version with prefix", "v1\tGET\thttps://a.b/\t1\n", ReasonUnknownVersion, ""},
		{"no version", "GET\thttps://a.b/\t1\n", ReasonUnknownVersion, `"GET"`},
		{"v0 4 fields", "0\tGET\ta.b\t1\n", ReasonFieldCount, "datagram version 0 has 4 fields, want 5"},
		{"v0 6 fields", "0\tGET\ta.b\t/\t1\t2\n", ReasonFieldCount, "datagram version 0 has 6 fields, want 5"},
		{"v1 5 fields", "1\tGET\ta.b\t/\t1\n", ReasonFieldCount, "datagram version 1 has 5 fields, want 4"},
		{"v1 many fields", "1 a b c d e f g h i j k\n", ReasonFieldCount, "has 12 fields, want 4"},
		{"version only", "0\n", ReasonFieldCount, "has 1 fields"},
		{"mixed separators", "0\tGET a.b / 1\n", ReasonFieldCount, ""},
		{"empty method", "0\t\ta.b\t/\t1\n", ReasonMethod, "datagram method is empty"},
		{"method with slash", "0\tGE/T\ta.b\t/\t1\n", ReasonMethod, `datagram method "GE/T" is not an HTTP token`},
		{"method with non-ASCII", "0\tGÉT\ta.b\t/\t1\n", ReasonMethod, ""},
		{"empty host", "0\tGET\t\t/\t1\n", ReasonHost, "is empty"},
		{"host scheme only", "0\tGET\thttps://\t/\t1\n", ReasonHost, ""},
		{"host with path", "0\tGET\thttps://a.b/v1\t/\t1\n", ReasonHost, "invalid character"},
		{"host bad scheme", "0\tGET\tftp://a.b\t/\t1\n", ReasonHost, `scheme "ftp"`},
		{"host bad port", "0\tGET\ta.b:http\t/\t1\n", ReasonHost, "invalid port"},
		{"host port too large", "0\tGET\ta.b:65536\t/\t1\n", ReasonHost, "invalid port"},
		{"host empty port", "0\tGET\ta.b:\t/\t1\n", ReasonHost, "invalid port"},
		{"host no name", "0\tGET\t:80\t/\t1\n", ReasonHost, "no name"},
		{"host bare IPv6", "0\tGET\t::1\t/\t1\n", ReasonHost, ""},
		{"host unclosed IPv6", "0\tGET\t[::1\t/\t1\n", ReasonHost, "closing"},
		{"host bracketed name", "0\tGET\t[a.b]\t/\t1\n", ReasonHost, "IPv6"},
		{"host with space", "0\tGET\ta b\t/\t1\n", ReasonHost, ""},
		{"v1 URL host bad", "1\tGET\thttps://a_b!c/\t1\n", ReasonHost, ""},
		{"relative path", "0\tGET\ta.b\tv1/charges\t1\n", ReasonPath, `datagram path "v1/charges" does not start with "/"`},
		{"URL in v0 path", "0\tGET\ta.b\thttps://a.b/x\t1\n", ReasonPath, ""},
		{"v1 no scheme", "1\tGET\tapi.example.com/x\t1\n", ReasonURL, "has no scheme"},
		{"v1 relative", "1\tGET\t/x\t1\n", ReasonURL, ""},
		{"v1 scheme-relative", "1\tGET\t//a.b/x\t1\n", ReasonURL, ""},
		{"v1 bad scheme", "1\tGET\tws://a.b/x\t1\n", ReasonURL, `scheme "ws"`},
		{"v1 empty host", "1\tGET\thttps:///x\t1\n", ReasonHost, ""},
		{"duration empty field", "0\tGET\ta.b\t/\t \n", ReasonFieldCount, ""},
		{"duration word", "0\tGET\ta.b\t/\tfast\n", ReasonDuration, `datagram duration "fast" is not a decimal number of milliseconds`},
		{"duration unit", "0\tGET\ta.b\t/\t12ms\n", ReasonDuration, "not a decimal number"},
		{"duration comma", "0\tGET\ta.b\t/\t12,5\n", ReasonDuration, ""},
		{"duration negative", "0\tGET\ta.b\t/\t-3\n", ReasonDuration, "is negative"},
		{"duration negative inf", "0\tGET\ta.b\t/\t-1e999\n", ReasonDuration, "is negative"},
		{"duration NaN", "0\tGET\ta.b\t/\tNaN\n", ReasonDuration, ""},
		{"duration Inf", "0\tGET\ta.b\t/\tInf\n", ReasonDuration, ""},
		{"duration +Inf", "0\tGET\ta.b\t/\t+Inf\n", ReasonDuration, ""},
		{"duration hex", "0\tGET\ta.b\t/\t0x1p3\n", ReasonDuration, ""},
		{"duration underscore", "0\tGET\ta.b\t/\t1_000\n", ReasonDuration, ""},
		{"duration dot", "0\tGET\ta.b\t/\t.\n", ReasonDuration, ""},
		{"duration above 24h", "0\tGET\ta.b\t/\t86400001\n", ReasonDuration, "more than 24h"},
		{"duration just above 24h", "0\tGET\ta.b\t/\t86400000.0000005\n", ReasonDuration, "more than 24h"},
		{"duration huge", "0\tGET\ta.b\t/\t99999999999999999999999999\n", ReasonDuration, "more than 24h"},
		{"duration huge exponent", "0\tGET\ta.b\t/\t1e300\n", ReasonDuration, "more than 24h"},
		{"duration overflow exponent", "0\tGET\ta.b\t/\t1e999\n", ReasonDuration, "more than 24h"},
		{"invalid UTF-8", "0\tGET\ta.b\t/\xff\xfe\t1\n", ReasonNotUTF8, "not valid UTF-8 at byte 11"},
		{"NUL", "0\tGET\ta.b\t/\x00\t1\n", ReasonNotUTF8, `control character '\x00' at byte 11`},
		{"DEL", "0\tGET\ta.b\t/\x7f\t1\n", ReasonNotUTF8, ""},
		{"C1 control", "0\tGET\ta.b\t/\u0085\t1\n", ReasonNotUTF8, "U+0085"},
		{"two datagrams", "0\tGET\ta.b\t/\t1\n0\tGET\ta.b\t/\t1\n", ReasonNotUTF8, `'\n' at byte 13`},
		{"CR inside", "0\tGET\ta.b\t/\r\t1\n", ReasonNotUTF8, ""},
		{"binary", "\x00\x01\x02\x03\xff", ReasonNotUTF8, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			var e *Error
			require.True(t, errors.As(err, &e), "error %v is not an *Error", err)
			require.Equal(t, tt.reason, e.Reason, e.Error())
			require.Contains(t, e.Error(), tt.msg)
		})
	}
}

func TestErrorQuotesAreBounded(t *testing.T) {
	long := strings.Repeat("\xff", 4000)
	_, err := Parse([]byte("0\tGET\ta.b\t/" + long + "\t1\n"))
	var e *Error
	require.True(t, errors.As(err, &e))
	require.Less(t, len(e.Error()), 400)
	require.NotContains(t, e.Error(), "\xff")
}

func TestReasonsListsEveryReason(t *testing.T) {
	seen := map[Reason]bool{}
	for _, r := range Reasons() {
		require.False(t, seen[r], "duplicate %q", r)
		require.NotEmpty(t, r)
		seen[r] = true
	}
	require.Len(t, seen, 10)
	// Reasons returns a copy: a caller cannot change the next answer.
	Reasons()[0] = "changed"
	require.Equal(t, ReasonEmpty, Reasons()[0])
}
