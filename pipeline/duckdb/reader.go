package duckdb

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest/sqldest"
)

// Reader is the reading half of a dataset DuckDB answers for: a DuckDB file, or
// Parquet files behind views (the filesystem destination). Each read opens the
// database with Open (read-only, locked down; dest.ErrNoData when there is nothing),
// and closes it after.
type Reader struct {
	Dataset string
	// Memory bounds one read, in bytes (0: dest.DefaultReadMemory): DuckDB's memory
	// limit, and what memguard lets the process grow by.
	Memory int64
	Open   func(ctx context.Context) (*sql.DB, error)
	// RowID names a column unique to each row of a table, by which Browse fetches
	// sorted pages; "" to sort whole rows.
	RowID func(ctx context.Context, db *sql.DB, table string) (string, error)
}

// ReadStored reads the latest schema and pipeline state; nothing loaded yet is an
// empty Stored, not an error.
func (r Reader) ReadStored(ctx context.Context, pipeline, schema string) (dest.Stored, error) {
	db, err := r.Open(ctx)
	if errors.Is(err, dest.ErrNoData) {
		return dest.Stored{}, nil
	}
	if err != nil {
		return dest.Stored{}, err
	}
	defer db.Close()
	return sqldest.ReadStored(ctx, db, r.Dataset, pipeline, schema)
}

// Query runs one query, classified by DuckDB's parser first (RunQuery), within b and
// dest.DefaultQueryTimeout unless ctx says otherwise.
func (r Reader) Query(ctx context.Context, query string, b dest.Bounds) (*dest.QueryResult, error) {
	ctx, cancel := dest.WithDefaultTimeout(ctx)
	defer cancel()
	db, err := r.Open(ctx)
	if err != nil {
		return nil, timeLimit(ctx, err)
	}
	defer db.Close()
	return RunQuery(ctx, db, query, b, r.memory())
}

// timeLimit says a query's time ran out, whichever step it was at (opening the
// dataset, classifying the SQL, running it).
func timeLimit(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("the query was stopped after its time limit: %w", context.DeadlineExceeded)
	}
	return err
}

// TableRows counts the rows of each table of the dataset.
func (r Reader) TableRows(ctx context.Context) (map[string]int64, error) {
	db, err := r.Open(ctx)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return sqldest.TableRows(ctx, db, r.Dataset)
}

// Loads lists the last n loads, newest first.
func (r Reader) Loads(ctx context.Context, n int) ([]dest.Load, error) {
	db, err := r.Open(ctx)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return sqldest.Loads(ctx, db, r.Dataset, n)
}

// Browse reads one page of a table (sqldest.BrowseSQL).
func (r Reader) Browse(ctx context.Context, p dest.Page) (*dest.QueryResult, error) {
	ctx, cancel := dest.WithDefaultTimeout(ctx)
	defer cancel()
	db, err := r.Open(ctx)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rid, err := r.RowID(ctx, db, p.Table)
	if err != nil {
		return nil, err
	}
	p.Bounds = p.Bounds.Clamp()
	return bounded(ctx, db, sqldest.BrowseSQL(rid, r.Dataset, p), p.Bounds, r.memory())
}

// memory is the read memory, the default where none was set.
func (r Reader) memory() int64 { return cmp.Or(r.Memory, dest.DefaultReadMemory) }
