// Package duckdb is the DuckDB destination: a single file holding the dataset as a
// schema, with dlt's system tables beside the data. A load opens the file, applies one
// load package in one transaction and closes it; queries open it read-only, with
// external access off, and close it again, so the file is held only while it is used.
package duckdb

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
)

// Destination is one dataset in one DuckDB file. Its reads (Query, TableRows, Loads,
// Browse, ReadStored) open the file read-only with external access off and settings
// locked: they can read the dataset and nothing else. Query first has DuckDB's parser
// classify the SQL as one SELECT; writes fail in the read-only engine, file readers and
// ATTACH in the disabled external access, SET in the locked configuration, whatever
// the SQL says; no pattern is matched against it. Unqualified table names resolve in
// the dataset.
type Destination struct {
	Reader
	Path    string // the .duckdb file
	Dataset string // the schema the tables live in
	// MemoryLimit bounds DuckDB's own memory during a load, e.g. "256MB"; DuckDB
	// spills to a temporary folder beyond it.
	MemoryLimit string
}

var _ dest.Destination = (*Destination)(nil)

// New describes the destination; it opens nothing.
func New(path, dataset string) *Destination {
	d := &Destination{Path: path, Dataset: dataset, MemoryLimit: "64MB"}
	d.Reader = Reader{Dataset: dataset, Open: func(ctx context.Context) (*sql.DB, error) { return d.open(ctx, true) },
		RowID: func(context.Context, *sql.DB, string) (string, error) { return dialect{}.RowID(), nil }}
	return d
}

// ReadInPlace attaches the file, read-only, as name in another DuckDB database
// (dest.InPlace).
func (d *Destination) ReadInPlace(_ context.Context, name string) ([]string, string, error) {
	if _, err := os.Stat(d.Path); err != nil {
		return nil, "", fmt.Errorf("%w: %s does not exist; run `secoda-workbench run` first", dest.ErrNoData, d.Path)
	}
	return []string{"ATTACH " + dest.Literal(d.Path) + " AS " + dest.Ident(name) + " (READ_ONLY)"}, dest.Ident(name) + "." + dest.Ident(d.Dataset) + ".", nil
}

// open opens the file; readOnly connections have external access off and their
// configuration locked, so SQL can read the dataset and nothing else.
func (d *Destination) open(ctx context.Context, readOnly bool) (*sql.DB, error) {
	dsn := d.Path
	var init func(driver.ExecerContext) error
	if readOnly {
		if _, err := os.Stat(d.Path); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s does not exist; run `secoda-workbench run` first", dest.ErrNoData, d.Path)
		}
		dsn += "?access_mode=read_only&" + ReadSettings(d.Reader.memory())
		init = readInit(d.Dataset)
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

// readInit locks a read connection down (ReadSettings) in the dataset.
func readInit(dataset string) func(driver.ExecerContext) error {
	return func(ex driver.ExecerContext) error {
		for _, s := range []string{
			"SET search_path = " + dest.Literal(dataset),
			"SET temp_directory = ''",
			"SET enable_external_access = false",
			"SET lock_configuration = true",
		} {
			if _, err := ex.ExecContext(context.Background(), s, nil); err != nil {
				return err
			}
		}
		return nil
	}
}

// Kept is a DuckDB file held open read-only between reads, for a reader that reads it
// often (search's index): its reads cost no opening of the file, and the blocks they
// read stay in DuckDB's memory, within the read memory. It runs only SQL the program
// writes: its connections share one database, whose configuration a connection
// cannot lock without locking the next one out of its search_path, so external
// access is off but the configuration is not locked. Close it when done.
type Kept struct {
	Reader
	path      string
	connector *duckdb.Connector
}

var _ dest.Destination = (*Kept)(nil)

// Keep opens path read-only, locked down as every read is, in dataset.
func Keep(path, dataset string, memory int64) (*Kept, error) {
	var once sync.Once
	init := func(ex driver.ExecerContext) error {
		var err error
		once.Do(func() {
			for _, s := range []string{"SET temp_directory = ''", "SET enable_external_access = false"} {
				if _, err = ex.ExecContext(context.Background(), s, nil); err != nil {
					return
				}
			}
		})
		if err == nil {
			_, err = ex.ExecContext(context.Background(), "SET search_path = "+dest.Literal(dataset), nil)
		}
		return err
	}
	c, err := duckdb.NewConnector(path+"?access_mode=read_only&"+ReadSettings(cmp.Or(memory, dest.DefaultReadMemory)), init)
	if err != nil {
		return nil, err
	}
	k := &Kept{path: path, connector: c}
	k.Reader = Reader{Dataset: dataset, Memory: memory,
		// keepOpen hides the connector's Close, which sql.DB.Close would call after
		// each read.
		Open:  func(context.Context) (*sql.DB, error) { return sql.OpenDB(keepOpen{c}), nil },
		RowID: func(context.Context, *sql.DB, string) (string, error) { return dialect{}.RowID(), nil }}
	return k, nil
}

type keepOpen struct{ driver.Connector }

// Type is "duckdb".
func (k *Kept) Type() string { return dest.DuckDB }

// Location is the file's path.
func (k *Kept) Location() string { return k.path }

// Load refuses: the file is open read-only.
func (k *Kept) Load(context.Context, dest.LoadJob) (dest.LoadResult, error) {
	return dest.LoadResult{}, fmt.Errorf("%s is open read-only", k.path)
}

// Close closes the file.
func (k *Kept) Close() error { return k.connector.Close() }

// ReadSettings are the DSN settings of every connection that reads a dataset:
// extension loading off, and memory (bytes) as DuckDB's memory limit. Its init
// then sets no temporary folder, so that a query past the limit fails instead of
// spilling to disk (and the folder is not one more place a query could read), turns
// external access off and locks the settings, in that order: DuckDB takes an empty
// temp_directory in a DSN only for an in-memory database, and not at all once
// external access is off.
func ReadSettings(memory int64) string {
	return fmt.Sprintf("autoinstall_known_extensions=false&autoload_known_extensions=false&memory_limit=%dMB", memory>>20)
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
		return fmt.Errorf("%w: %s is held by %s (a run loading, or an open query); try again when it is done", dest.ErrInUse, d.Path, who)
	case strings.Contains(msg, "not a valid DuckDB database file"):
		return fmt.Errorf("%s is not a DuckDB database file: move it aside and run the pipeline again (`secoda-workbench run`, or the MCP tool run_pipeline), "+
			"or set [destination] path to the dataset's file", d.Path)
	case strings.Contains(msg, "different configuration"):
		return fmt.Errorf("%w: %s is being loaded by this process; try again when the run is done", dest.ErrInUse, d.Path)
	}
	return err
}

// Type is "duckdb".
func (d *Destination) Type() string { return dest.DuckDB }

// Location is the file.
func (d *Destination) Location() string { return d.Path }

// dialect is DuckDB's part of a SQL load.
type dialect struct{}

// ColumnType is the DuckDB type of a dlt type.
func (dialect) ColumnType(t normalize.DataType) string {
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

func (dialect) Stage(table string) string { return "stage_" + table }

func (dialect) CreateStage(ctx context.Context, conn *sql.Conn, stage, like string) error {
	_, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE OR REPLACE TEMP TABLE %s AS SELECT * FROM %s LIMIT 0", dest.Ident(stage), like))
	return err
}

func (dialect) RowID() string { return "rowid" }

// LockLoad does nothing: DuckDB lets one process write the file at a time.
func (dialect) LockLoad(context.Context, *sql.Conn, string) error { return nil }
