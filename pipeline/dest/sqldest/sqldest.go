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
	length  int  // a text column's length, as dlt gives load ids (64); 0 for none
	unique  bool // UNIQUE, where the dialect creates it (UniqueRowKeys)
}

// UniqueRowKeys is a dialect that makes each table's _dlt_id UNIQUE, as dlt does on
// PostgreSQL (create_indexes); dlt's DuckDB does not (it slows loading), nor do we.
type UniqueRowKeys interface {
	UniqueRowKeys() bool
}

func uniqueRowKeys(d Dialect) bool {
	u, ok := d.(UniqueRowKeys)
	return ok && u.UniqueRowKeys()
}

// systemTables are dlt's, with the columns dlt gives them, and the run log.
var systemTables = []struct {
	name    string
	columns []column
}{
	{"_dlt_loads", []column{{name: "load_id", typ: normalize.Text, notNull: true, length: 64}, col("schema_name", normalize.Text, false), col("status", normalize.BigInt, true),
		col("inserted_at", normalize.Timestamp, true), col("schema_version_hash", normalize.Text, false)}},
	{"_dlt_pipeline_state", []column{col("version", normalize.BigInt, true), col("engine_version", normalize.BigInt, true), col("pipeline_name", normalize.Text, true),
		col("state", normalize.Text, true), col("created_at", normalize.Timestamp, true), col("version_hash", normalize.Text, false),
		{name: "_dlt_load_id", typ: normalize.Text, notNull: true, length: 64}, {name: "_dlt_id", typ: normalize.Text, notNull: true, unique: true}}},
	{"_dlt_version", []column{col("version", normalize.BigInt, true), col("engine_version", normalize.BigInt, true), col("inserted_at", normalize.Timestamp, true),
		col("schema_name", normalize.Text, true), col("version_hash", normalize.Text, true), col("schema", normalize.Text, true)}},
	{dest.RunsTable, []column{col("load_id", normalize.Text, true), col("pipeline_name", normalize.Text, true), col("started_at", normalize.Timestamp, false),
		col("finished_at", normalize.Timestamp, false), col("records", normalize.BigInt, false), col("requests", normalize.BigInt, false),
		col("retries", normalize.BigInt, false), col("rate_limited", normalize.BigInt, false), col("server_errors", normalize.BigInt, false),
		col("rows", normalize.JSON, false), col("trace", normalize.JSON, false)}},
}

func col(name string, typ normalize.DataType, notNull bool) column {
	return column{name: name, typ: typ, notNull: notNull}
}

// createTable is CREATE TABLE for columns.
func createTable(d Dialect, qualified string, ifNotExists bool, cols []column) string {
	defs := make([]string, len(cols))
	for i, c := range cols {
		defs[i] = dest.Ident(c.name) + " " + d.ColumnType(c.typ)
		if c.length > 0 && c.typ == normalize.Text {
			defs[i] += fmt.Sprintf("(%d)", c.length)
		}
		if c.notNull {
			defs[i] += " NOT NULL"
		}
		if c.unique && uniqueRowKeys(d) {
			defs[i] += " UNIQUE"
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
