package testserver

import (
	"errors"
	"testing"
)

// ForTest starts a server for t and stops it when t ends; it skips t, saying
// what to install, when a server program is missing.
func ForTest(t testing.TB, start func() (*Server, error)) *Server {
	t.Helper()
	s, err := start()
	if errors.Is(err, ErrNotInstalled) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}
