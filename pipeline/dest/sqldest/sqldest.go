// Package sqldest is the part of a SQL destination that does not depend on the
// database: dlt's system tables, a load in one transaction (tables created or evolved,
// rows bulk-appended, merged by delete-insert on the primary key, state and schema
// recorded, _dlt_loads written last), and the reads of the schema, the state, the loads
// and pages of rows. A Dialect supplies the rest: column types, the bulk-append path,
// staging tables, the physical row id and a load lock. DuckDB and PostgreSQL use it.
package sqldest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
)

// Dialect is what differs between the SQL databases a dataset can live in. SQL here
// uses $1-style parameters, which both DuckDB and PostgreSQL take.
type Dialect interface {
	// ColumnType is the database's type for a dlt type.
	ColumnType(normalize.DataType) string
	// Stage is the name of a staging table for table, in the session's temporary
	// space; CreateStage makes it with table's columns and no rows.
	Stage(table string) string
	CreateStage(ctx context.Context, conn *sql.Conn, stage, like string) error
	// Append bulk-writes rows into target (an unquoted schema and table, or "" and a
	// staging table's name), columns in the order given.
	Append(ctx context.Context, conn *sql.Conn, target Target, columns []string, rows RowSource) error
	// RowID is the column of a row's physical position (rowid, ctid): later rows of a
	// load have larger ones.
	RowID() string
	// LockLoad, inside the load's transaction, waits for any other load of the
	// dataset to end.
	LockLoad(ctx context.Context, conn *sql.Conn, dataset string) error
}

// Target is a table Append writes to.
type Target struct {
	Schema string // "" for a staging table
	Name   string
}

// RowSource calls yield with each row's values, in the order of the columns Append was
// given; nil for a NULL.
type RowSource func(yield func(values []any) error) error

// column is a system table's column.
type column struct {
	name    string
	typ     normalize.DataType
	notNull bool
}

// systemTables are dlt's, with the columns dlt gives them, and the run log.
var systemTables = []struct {
	name    string
	columns []column
}{
	{"_dlt_loads", []column{{"load_id", normalize.Text, true}, {"schema_name", normalize.Text, false}, {"status", normalize.BigInt, true},
		{"inserted_at", normalize.Timestamp, true}, {"schema_version_hash", normalize.Text, false}}},
	{"_dlt_pipeline_state", []column{{"version", normalize.BigInt, true}, {"engine_version", normalize.BigInt, true}, {"pipeline_name", normalize.Text, true},
		{"state", normalize.Text, true}, {"created_at", normalize.Timestamp, true}, {"version_hash", normalize.Text, false},
		{"_dlt_load_id", normalize.Text, true}, {"_dlt_id", normalize.Text, true}}},
	{"_dlt_version", []column{{"version", normalize.BigInt, true}, {"engine_version", normalize.BigInt, true}, {"inserted_at", normalize.Timestamp, true},
		{"schema_name", normalize.Text, true}, {"version_hash", normalize.Text, true}, {"schema", normalize.Text, true}}},
	{dest.RunsTable, []column{{"load_id", normalize.Text, true}, {"pipeline_name", normalize.Text, true}, {"started_at", normalize.Timestamp, false},
		{"finished_at", normalize.Timestamp, false}, {"records", normalize.BigInt, false}, {"requests", normalize.BigInt, false},
		{"retries", normalize.BigInt, false}, {"rate_limited", normalize.BigInt, false}, {"server_errors", normalize.BigInt, false},
		{"rows", normalize.JSON, false}, {"trace", normalize.JSON, false}}},
}

// createTable is CREATE TABLE for columns.
func createTable(d Dialect, qualified string, ifNotExists bool, cols []column) string {
	defs := make([]string, len(cols))
	for i, c := range cols {
		defs[i] = dest.Ident(c.name) + " " + d.ColumnType(c.typ)
		if c.notNull {
			defs[i] += " NOT NULL"
		}
	}
	ine := ""
	if ifNotExists {
		ine = "IF NOT EXISTS "
	}
	return fmt.Sprintf("CREATE TABLE %s%s (%s)", ine, qualified, strings.Join(defs, ", "))
}

// Qualified is schema.table, quoted.
func Qualified(schema, table string) string { return dest.Ident(schema) + "." + dest.Ident(table) }

// FirstLine is a statement shortened for an error message.
func FirstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

// Queryer is what the reads need of a *sql.DB, *sql.Conn or *sql.Tx.
type Queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Strings runs a query of one text column and returns its values.
func Strings(ctx context.Context, q Queryer, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Columns lists a table's columns in order; none for a missing table.
func Columns(ctx context.Context, q Queryer, schema, table string) ([]string, error) {
	return Strings(ctx, q, `SELECT column_name FROM information_schema.columns WHERE table_catalog = current_database() AND table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`, schema, table)
}

// TableExists reports whether schema.table exists.
func TableExists(ctx context.Context, q Queryer, schema, table string) (bool, error) {
	var n int64
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2`, schema, table).Scan(&n)
	return n > 0, err
}
