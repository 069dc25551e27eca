// Package duckdb is the DuckDB destination: a single file holding the dataset as a
// schema, with dlt's system tables beside the data. A load opens the file, applies one
// load package in one transaction and closes it; queries open it read-only, with
// external access off, and close it again, so the file is held only while it is used.
package duckdb

import (
	"bytes"
	"compress/zlib"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
)

// ErrInUse is a file another process holds: a run loading, or a query.
var ErrInUse = errors.New("the dataset is in use")

// ErrNoData is a file (or dataset) that does not exist yet.
var ErrNoData = errors.New("nothing loaded yet")

// Destination is one dataset in one DuckDB file.
type Destination struct {
	Path    string // the .duckdb file
	Dataset string // the schema the tables live in
	// MemoryLimit bounds DuckDB's own memory during a load, e.g. "256MB"; DuckDB
	// spills to a temporary folder beyond it.
	MemoryLimit string
}

// New describes the destination; it opens nothing.
func New(path, dataset string) *Destination {
	return &Destination{Path: path, Dataset: dataset, MemoryLimit: "96MB"}
}

// open opens the file; readOnly connections have external access off and their
// configuration locked, so SQL can read the dataset and nothing else.
func (d *Destination) open(ctx context.Context, readOnly bool) (*sql.DB, error) {
	dsn := d.Path
	var init func(driver.ExecerContext) error
	if readOnly {
		if _, err := os.Stat(d.Path); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s does not exist; run `secoda-workbench run` first", ErrNoData, d.Path)
		}
		dsn += "?access_mode=read_only&enable_external_access=false&autoinstall_known_extensions=false&autoload_known_extensions=false"
		init = func(ex driver.ExecerContext) error {
			for _, s := range []string{
				"SET search_path = " + quoteLiteral(d.Dataset),
				"SET lock_configuration = true",
			} {
				if _, err := ex.ExecContext(context.Background(), s, nil); err != nil {
					return err
				}
			}
			return nil
		}
	} else {
		dsn += "?memory_limit=" + d.MemoryLimit
	}
	c, err := duckdb.NewConnector(dsn, init)
	if err != nil {
		return nil, d.friendly(err)
	}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(1) // one connection: a transaction and its appenders share it
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, d.friendly(err)
	}
	return db, nil
}

var lockPID = regexp.MustCompile(`\(PID (\d+)\)`)

// friendly turns DuckDB's lock message into one a person can act on.
func (d *Destination) friendly(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "Could not set lock") || strings.Contains(msg, "Conflicting lock"):
		who := "another process"
		if m := lockPID.FindStringSubmatch(msg); m != nil {
			who = "process " + m[1]
		}
		return fmt.Errorf("%w: %s is held by %s (a run loading, or an open query); try again when it is done", ErrInUse, d.Path, who)
	case strings.Contains(msg, "different configuration"):
		return fmt.Errorf("%w: %s is being loaded by this process; try again when the run is done", ErrInUse, d.Path)
	}
	return err
}

// Stored is what the destination keeps of a pipeline between runs.
type Stored struct {
	Schema       *normalize.Schema // nil before the first load
	State        []byte            // the pipeline state, JSON; nil before the first load
	StateVersion int64
}

// ReadStored reads the latest schema and pipeline state. A missing file or dataset is
// an empty Stored, not an error.
func (d *Destination) ReadStored(ctx context.Context, pipeline string) (Stored, error) {
	var st Stored
	db, err := d.open(ctx, true)
	if errors.Is(err, ErrNoData) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	defer db.Close()
	if ok, err := tableExists(ctx, db, d.Dataset, "_dlt_version"); err != nil || !ok {
		return st, err
	}
	var schemaJSON string
	err = db.QueryRowContext(ctx, fmt.Sprintf(`SELECT schema FROM %s._dlt_version WHERE schema_name = ? ORDER BY version DESC, inserted_at DESC LIMIT 1`, ident(d.Dataset)),
		normalize.SchemaName).Scan(&schemaJSON)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return st, err
	default:
		if st.Schema, err = normalize.ParseSchema([]byte(schemaJSON)); err != nil {
			return st, fmt.Errorf("the stored schema does not parse: %w", err)
		}
	}
	var blob string
	err = db.QueryRowContext(ctx, fmt.Sprintf(`SELECT version, state FROM %s._dlt_pipeline_state WHERE pipeline_name = ? ORDER BY version DESC, created_at DESC LIMIT 1`, ident(d.Dataset)),
		pipeline).Scan(&st.StateVersion, &blob)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return st, err
	default:
		if st.State, err = DecompressState(blob); err != nil {
			return st, err
		}
	}
	return st, nil
}

func tableExists(ctx context.Context, db *sql.DB, schema, table string) (bool, error) {
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?`, schema, table).Scan(&n)
	return n > 0, err
}

// CompressState encodes the state as dlt does: zlib, then base64.
func CompressState(state []byte) string {
	var b bytes.Buffer
	w, _ := zlib.NewWriterLevel(&b, zlib.BestCompression)
	w.Write(state)
	w.Close()
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

// DecompressState reads a state blob: dlt's zlib and base64, or plain JSON.
func DecompressState(blob string) ([]byte, error) {
	if strings.HasPrefix(strings.TrimSpace(blob), "{") {
		return []byte(blob), nil
	}
	raw, err := base64.StdEncoding.DecodeString(blob)
	if err != nil {
		return nil, fmt.Errorf("the stored pipeline state is not readable: %w", err)
	}
	r, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("the stored pipeline state is not readable: %w", err)
	}
	defer r.Close()
	return io.ReadAll(r)
}

// ident quotes an identifier for SQL.
func ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// sqlType is the DuckDB type of a dlt type.
func sqlType(t normalize.DataType) string {
	switch t {
	case normalize.BigInt:
		return "BIGINT"
	case normalize.Double:
		return "DOUBLE"
	case normalize.Bool:
		return "BOOLEAN"
	case normalize.Timestamp:
		return "TIMESTAMP WITH TIME ZONE"
	case normalize.JSON:
		return "JSON"
	}
	return "VARCHAR"
}

// cellValue is a cell as the appender takes it.
func cellValue(c normalize.Cell) driver.Value {
	switch c.Type {
	case normalize.Text, normalize.JSON:
		return c.Str
	case normalize.BigInt:
		return c.Int
	case normalize.Double:
		return c.Num
	case normalize.Bool:
		return c.Int != 0
	case normalize.Timestamp:
		return time.UnixMicro(c.Int).UTC()
	}
	return nil
}
