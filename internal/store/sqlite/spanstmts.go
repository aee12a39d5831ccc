package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// spanStmts are the statements every span write runs, prepared once on the
// writer: parsing them again for every write cost as much as a batch of
// 100 spans' inserts.
type spanStmts struct {
	insertRow, insertData, overlapping, ids *sql.Stmt
}

func prepareSpanStmts(ctx context.Context, db *sql.DB) (*spanStmts, error) {
	var st spanStmts
	for _, p := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		{&st.insertRow, `INSERT INTO span_blocks (min_ts, max_ts, n, services, kinds, filter, stored_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`},
		{&st.insertData, `INSERT INTO span_block_data (block, ids, data) VALUES (?, ?, ?)`},
		{&st.overlapping, blockRowQuery + ` WHERE max_ts >= ? AND min_ts <= ?`},
		{&st.ids, `SELECT ids FROM span_block_data WHERE block = ?`},
	} {
		var err error
		if *p.stmt, err = db.PrepareContext(ctx, p.query); err != nil {
			return nil, errors.Join(fmt.Errorf("preparing %q: %w", p.query, err), st.close())
		}
	}
	return &st, nil
}

func (st *spanStmts) close() error {
	if st == nil {
		return nil
	}
	var errs []error
	for _, s := range []*sql.Stmt{st.insertRow, st.insertData, st.overlapping, st.ids} {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(errs...)
}

// spanTx runs the prepared statements in a write transaction.
type spanTx struct {
	*sql.Tx
	st *spanStmts
}

func (t spanTx) stmt(ctx context.Context, s *sql.Stmt) *sql.Stmt {
	return t.StmtContext(ctx, s)
}

func (t spanTx) insertBlock(ctx context.Context, meta blockMeta, data []byte, storedAt int64) (int64, error) {
	res, err := t.stmt(ctx, t.st.insertRow).ExecContext(ctx, meta.minTS, meta.maxTS, meta.n, meta.services, meta.kinds, meta.filter, storedAt)
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	_, err = t.stmt(ctx, t.st.insertData).ExecContext(ctx, id, meta.ids, data)
	return id, err
}

// overlapping returns the rows of the blocks whose time range meets
// [minTS, maxTS].
func (t spanTx) overlapping(ctx context.Context, minTS, maxTS int64) ([]blockRow, error) {
	rows, err := t.stmt(ctx, t.st.overlapping).QueryContext(ctx, minTS, maxTS)
	if err != nil {
		return nil, err
	}
	return scanBlockRows(rows)
}

func (t spanTx) blockIDs(ctx context.Context, block int64) ([]byte, error) {
	var ids []byte
	err := t.stmt(ctx, t.st.ids).QueryRowContext(ctx, block).Scan(&ids)
	return ids, err
}
