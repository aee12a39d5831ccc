package alert

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vigil-dev/vigil/internal/result"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"timeout after 5s", "timeout after <n>s"},
		{"dial tcp 10.0.0.1:443: connection refused", "dial tcp <n>.<n>:<n>: connection refused"},
		{"order 123e4567-e89b-12d3-a456-426614174000 not found", "order <uuid> not found"},
		{"trace 4bf92f3577b34da6a3ce929d0e0e4736 failed", "trace <hex> failed"},
		{"pointer 0x1f at offset 12345678901", "pointer <hex> at offset <n>"},
		{`expected "ok" got 'fail'`, "expected <str> got <str>"},
		{"json: `{\"a\": 1}` invalid", "json: <str> invalid"},
		{"  many   spaces\n here ", "many spaces here"},
		{"status 503 from checkout", "status <n> from checkout"},
		{"deadline exceeded", "deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, Normalize(tt.in))
		})
	}
}

func TestFingerprint(t *testing.T) {
	a := Fingerprint(&result.Error{Type: "io", Message: "read tcp 10.1.2.3:5555: i/o timeout"})
	b := Fingerprint(&result.Error{Type: "io", Message: "read tcp 10.9.8.7:6666: i/o timeout"})
	assert.Equal(t, a, b)
	assert.Equal(t, "io: read tcp <n>.<n>:<n>: i/o timeout", a)
	assert.NotEqual(t, a, Fingerprint(&result.Error{Type: "assertion", Message: "read tcp 10.1.2.3:5555: i/o timeout"}))
	assert.Equal(t, "", Fingerprint(nil))
	assert.LessOrEqual(t, len(Fingerprint(&result.Error{Type: "io", Message: strings.Repeat("é", 500)})), maxFingerprint)
}
