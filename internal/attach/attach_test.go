package attach

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestStoreRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "attachments")
	cases := []struct{ name, url string }{
		{"plain directory", dir},
		{"memory", "mem://"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s, err := Open(ctx, tc.url)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			png := []byte("\x89PNG\r\n\x1a\nfake")
			if err := s.Put(ctx, "shop/run-1/home.png", "image/png", png); err != nil {
				t.Fatal(err)
			}
			got, ct, err := s.Get(ctx, "shop/run-1/home.png")
			if err != nil || string(got) != string(png) || ct != "image/png" {
				t.Fatalf("got %q %q %v", got, ct, err)
			}
			if _, _, err := s.Get(ctx, "shop/run-1/missing.png"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("missing key: %v, want ErrNotFound", err)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "shop", "run-1", "home.png")); err != nil {
		t.Errorf("a plain path is a local directory holding the files: %v", err)
	}
}

func TestOpenUnreachable(t *testing.T) {
	if _, err := Open(context.Background(), "nosuchscheme://bucket"); err == nil {
		t.Fatal("an unknown scheme opened")
	}
}
