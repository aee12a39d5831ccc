package agent

import (
	"os"
	"testing"
)

// TestGoTLSReturnsOfThisBinary: the test binary is a Go program with
// crypto/tls (the TLS test server), stripped by go test; each method is
// found and has RETs.
func TestGoTLSReturnsOfThisBinary(t *testing.T) {
	rets, err := goTLSReturns(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"crypto/tls.(*Conn).Read", "crypto/tls.(*Conn).Write", "crypto/tls.(*Conn).handshakeContext"} {
		if len(rets[name].rets) == 0 || rets[name].entry == 0 {
			t.Errorf("no RET found in %s: %v", name, rets)
		}
	}
	t.Logf("%v", rets)
}
