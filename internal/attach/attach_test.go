package attach

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// TestCloudSchemes: s3://, gs:// and azblob:// buckets are known (their
// drivers are linked); an S3-compatible store that does not answer fails
// the write with the key named, after the provider's own retries.
func TestCloudSchemes(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ctx := context.Background()
	s, err := Open(ctx, "s3://attachments?region=us-east-1&endpoint=http://127.0.0.1:1&use_path_style=true")
	if err != nil {
		t.Fatalf("s3:// did not open: %v", err)
	}
	defer s.Close()
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := s.Put(wctx, "m/run/shot.png", "image/png", []byte("png")); err == nil || !strings.Contains(err.Error(), "m/run/shot.png") {
		t.Fatalf("put to an unreachable S3: %v, want an error naming the key", err)
	}
	for _, u := range []string{"gs://attachments", "azblob://attachments"} {
		_, err := Open(ctx, u)
		if err != nil && strings.Contains(err.Error(), "no driver registered") {
			t.Errorf("%s: %v", u, err)
		}
	}
}
