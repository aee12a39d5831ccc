// Package attach keeps the files a browser run produces (screenshots, HAR,
// DOM copies) in blob storage through gocloud.dev/blob: a local directory
// by default (file:///path), S3 (s3://bucket?region=...; endpoint= for
// S3-compatible stores), GCS (gs://bucket) or Azure (azblob://container)
// in production, with the providers' usual credentials; memory for tests
// (mem://). Results store only the keys.
package attach

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob" // azblob:// containers
	_ "gocloud.dev/blob/fileblob"  // file:// buckets
	_ "gocloud.dev/blob/gcsblob"   // gs:// buckets
	_ "gocloud.dev/blob/memblob"   // mem:// buckets
	_ "gocloud.dev/blob/s3blob"    // s3:// buckets
	"gocloud.dev/gcerrors"
)

// ErrNotFound is returned by Get for a key that is not stored.
var ErrNotFound = errors.New("attachment not found")

// Store is a bucket of attachments.
type Store struct {
	bucket *blob.Bucket
	url    string
}

// Open opens the bucket at rawURL; a plain path is a local directory,
// created when missing.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	if !strings.Contains(rawURL, "://") {
		abs, err := filepath.Abs(rawURL)
		if err != nil {
			return nil, fmt.Errorf("attachments directory %s: %w", rawURL, err)
		}
		rawURL = (&url.URL{Scheme: "file", Path: abs}).String()
	}
	if u, err := url.Parse(rawURL); err == nil && u.Scheme == "file" {
		if err := os.MkdirAll(u.Path, 0o755); err != nil {
			return nil, fmt.Errorf("creating the attachments directory %s: %w", u.Path, err)
		}
	}
	b, err := blob.OpenBucket(ctx, rawURL)
	if err != nil {
		return nil, fmt.Errorf("opening the attachments bucket %s: %w", rawURL, err)
	}
	return &Store{bucket: b, url: rawURL}, nil
}

// URL is where the attachments go.
func (s *Store) URL() string { return s.url }

// Put stores data under key.
func (s *Store) Put(ctx context.Context, key, contentType string, data []byte) error {
	if err := s.bucket.WriteAll(ctx, key, data, &blob.WriterOptions{ContentType: contentType}); err != nil {
		return fmt.Errorf("storing attachment %s: %w", key, err)
	}
	return nil
}

// Get reads an attachment and its content type.
func (s *Store) Get(ctx context.Context, key string) ([]byte, string, error) {
	attrs, err := s.bucket.Attributes(ctx, key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, "", fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, "", fmt.Errorf("reading attachment %s: %w", key, err)
	}
	data, err := s.bucket.ReadAll(ctx, key)
	if err != nil {
		return nil, "", fmt.Errorf("reading attachment %s: %w", key, err)
	}
	return data, attrs.ContentType, nil
}

// Close releases the bucket.
func (s *Store) Close() error { return s.bucket.Close() }
