package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/vigil-dev/vigil/internal/store"
)

// PutCatalog replaces the catalog.
func (s *Store) PutCatalog(ctx context.Context, c store.Catalog) error {
	doc, err := json.Marshal(c)
	if err != nil {
		return s.describe(err, "encoding catalog of commit %q", c.Commit)
	}
	_, err = s.writer.ExecContext(ctx, `INSERT INTO catalog (id, doc, updated_at) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at`,
		string(doc), s.opts.Now().UnixMicro())
	if err != nil {
		return s.describe(err, "writing catalog of commit %q", c.Commit)
	}
	return nil
}

// GetCatalog returns the catalog, or an error wrapping store.ErrNotFound
// before the first PutCatalog.
func (s *Store) GetCatalog(ctx context.Context) (store.Catalog, error) {
	var doc string
	err := s.reader.QueryRowContext(ctx, `SELECT doc FROM catalog WHERE id = 1`).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Catalog{}, fmt.Errorf("catalog: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.Catalog{}, s.describe(err, "reading catalog")
	}
	var c store.Catalog
	if err := json.Unmarshal([]byte(doc), &c); err != nil {
		return store.Catalog{}, s.describe(err, "decoding catalog")
	}
	return c, nil
}
