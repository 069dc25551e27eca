package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest/sqldest"
)

// Load applies a load package in one transaction (sqldest.Load), appending rows with
// DuckDB's Appender.
func (d *Destination) Load(ctx context.Context, job dest.LoadJob) (dest.LoadResult, error) {
	start := time.Now()
	db, err := d.open(ctx, false)
	if err != nil {
		return dest.LoadResult{}, err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return dest.LoadResult{}, err
	}
	defer conn.Close()
	if err := sqldest.Load(ctx, dialect{}, conn, d.Dataset, job); err != nil {
		return dest.LoadResult{}, err
	}
	return dest.LoadResult{Duration: time.Since(start)}, nil
}

// LoadConn applies a load package on a connection the caller opened (sqldest.Load
// with DuckDB's Appender): the filesystem destination loads into a scratch database
// this way, then writes its tables out.
func LoadConn(ctx context.Context, conn *sql.Conn, dataset string, job dest.LoadJob) error {
	return sqldest.Load(ctx, dialect{}, conn, dataset, job)
}

// appendFlushRows is how many rows the Appender buffers before it flushes.
const appendFlushRows = 16384

// Append streams rows through DuckDB's Appender, flushing every appendFlushRows rows.
func (dialect) Append(ctx context.Context, conn *sql.Conn, t sqldest.Target, _ []string, rows sqldest.RowSource) error {
	catalog, schema := "", t.Schema
	if schema == "" {
		catalog, schema = "temp", "main"
	}
	return conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppender(dc.(driver.Conn), catalog, schema, t.Name)
		if err != nil {
			return err
		}
		vals := make([]driver.Value, 0, 64)
		n := 0
		err = rows(func(values []any) error {
			vals = vals[:0]
			for _, v := range values {
				vals = append(vals, v)
			}
			if err := app.AppendRow(vals...); err != nil {
				return err
			}
			// DuckDB's Appender holds up to 204,800 rows before it hands them to the
			// table; wide catalog rows make that 300 MB. Flushing sooner keeps memory
			// flat whatever the size of the load.
			if n++; n%appendFlushRows == 0 {
				return app.Flush()
			}
			return nil
		})
		if cerr := app.Close(); err == nil && cerr != nil {
			err = cerr
		}
		return err
	})
}
