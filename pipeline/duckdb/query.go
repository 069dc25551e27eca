package duckdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/secoda-workbench/secoda-workbench/internal/memguard"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest/sqldest"
)

// OnlyQuery asks DuckDB's parser whether the SQL is one SELECT (which includes FROM,
// WITH, VALUES, SHOW, DESCRIBE and SUMMARIZE). Everything else (PRAGMA, SET, CALL,
// EXPLAIN, DDL, DML) is refused before it runs: a PRAGMA like enable_profiling would
// otherwise print to this process's stdout, which the MCP server speaks on.
func OnlyQuery(ctx context.Context, db sqldest.Queryer, query string) error {
	var out string
	if err := db.QueryRowContext(ctx, "SELECT CAST(json_serialize_sql($1::VARCHAR) AS VARCHAR)", query).Scan(&out); err != nil {
		return err
	}
	var parsed struct {
		Error      bool              `json:"error"`
		ErrorType  string            `json:"error_type"`
		Message    string            `json:"error_message"`
		Statements []json.RawMessage `json:"statements"`
	}
	if err := json.Unmarshal([]byte(out), &parsed); err != nil {
		return fmt.Errorf("classifying the SQL: %w", err)
	}
	switch {
	case parsed.Error && parsed.ErrorType == "not implemented":
		return fmt.Errorf("%w: SELECT, WITH, FROM, VALUES, SHOW, DESCRIBE and SUMMARIZE run; writes, PRAGMA, SET, CALL, EXPLAIN, COPY, ATTACH and INSTALL do not", dest.ErrNotReadOnly)
	case parsed.Error:
		return fmt.Errorf("%s error: %s", parsed.ErrorType, parsed.Message)
	case len(parsed.Statements) != 1:
		return fmt.Errorf("%w: one statement at a time (this has %d)", dest.ErrNotReadOnly, len(parsed.Statements))
	}
	return nil
}

// RunQuery classifies the SQL with OnlyQuery and runs it on db (which the caller has
// made read-only, with memory as its memory limit) within b: the row bound is a LIMIT
// DuckDB stops at and cells are cut by DuckDB (sqldest.BoundedQuery), so no answer is
// built whole first. The process's memory is watched meanwhile (memguard): a query
// that grows it past memory (plus dest.ReadMemorySlack) is stopped.
func RunQuery(ctx context.Context, db *sql.DB, query string, b dest.Bounds, memory int64) (*dest.QueryResult, error) {
	if err := OnlyQuery(ctx, db, query); err != nil {
		return nil, timeLimit(ctx, err)
	}
	return bounded(ctx, db, query, b, memory)
}

// bounded runs SQL the program trusts to be one query within b, watched (RunQuery).
func bounded(ctx context.Context, db *sql.DB, query string, b dest.Bounds, memory int64) (*dest.QueryResult, error) {
	watched, stop := memguard.Watch(ctx, memory+dest.ReadMemorySlack)
	defer stop()
	res, err := sqldest.BoundedQuery(watched, db, query, b, cut)
	if err != nil {
		return nil, QueryError(watched, err, memory)
	}
	return res, nil
}

// cut is DuckDB's sqldest.Cutter: text cut with left(), JSON and BLOBs as text, nested
// values (lists, arrays, structs, maps, unions) as JSON, both cut likewise; numbers,
// times, UUIDs and enums as they are. DuckDB's memory limit bounds what it holds
// between the steps of a query; what one step computes for its 2,048 rows at a time
// (say, repeat() of megabytes in hundreds of columns) is stopped only when the step
// ends (memguard).
func cut(col, typ string, n int) (string, sqldest.CellKind) {
	switch {
	case typ == "VARCHAR":
		return fmt.Sprintf("left(%s, %d)", col, n+1), sqldest.Text
	case typ == "JSON":
		return fmt.Sprintf("left(CAST(%s AS VARCHAR), %d)", col, n+1), sqldest.JSONText
	case fixedSize[typ] || strings.HasPrefix(typ, "DECIMAL("):
		return col, sqldest.Fixed
	case strings.HasSuffix(typ, "[]"):
		// Sliced first: a list of more than n+1 elements has more than n bytes of
		// JSON, and to_json of millions of elements would take far more memory.
		return fmt.Sprintf("left(CAST(to_json(list_slice(%s, 1, %d)) AS VARCHAR), %d)", col, n+1, n+1), sqldest.JSONText
	case strings.HasSuffix(typ, "]") || strings.HasPrefix(typ, "STRUCT(") || strings.HasPrefix(typ, "MAP(") || strings.HasPrefix(typ, "UNION("):
		return fmt.Sprintf("left(CAST(to_json(%s) AS VARCHAR), %d)", col, n+1), sqldest.JSONText
	}
	return fmt.Sprintf("left(CAST(%s AS VARCHAR), %d)", col, n+1), sqldest.Text
}

// fixedSize are DuckDB's types of a bounded size, by the names duckdb-go gives them.
var fixedSize = map[string]bool{
	"BOOLEAN": true, "TINYINT": true, "SMALLINT": true, "INTEGER": true, "BIGINT": true, "HUGEINT": true,
	"UTINYINT": true, "USMALLINT": true, "UINTEGER": true, "UBIGINT": true, "UHUGEINT": true,
	"FLOAT": true, "DOUBLE": true, "DATE": true, "TIME": true, "TIMETZ": true, "INTERVAL": true, "UUID": true, "ENUM": true,
	"TIMESTAMP": true, "TIMESTAMPTZ": true, "TIMESTAMP_S": true, "TIMESTAMP_MS": true, "TIMESTAMP_NS": true,
}

// QueryError says plainly why a query failed: too slow, too big for the memory a read
// may use (memory), refused by the read-only guard, or DuckDB's own message. It goes
// by the error's kind (duckdb-go's typed *duckdb.Error) and the start of DuckDB's
// message, never by what the message may echo of the SQL.
func QueryError(ctx context.Context, err error, memory int64) error {
	if cause := context.Cause(ctx); errors.Is(cause, memguard.ErrExceeded) {
		return dest.MemoryError(memory, cause)
	}
	if err := timeLimit(ctx, err); errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var de *duckdb.Error
	if !errors.As(err, &de) {
		return err
	}
	_, msg, _ := strings.Cut(de.Msg, ": ") // past "<Type> Error: ", which DuckDB writes
	switch de.Type {
	case duckdb.ErrorTypeOutOfMemory:
		return dest.MemoryError(memory, errors.New(sqldest.FirstLine(de.Msg)))
	case duckdb.ErrorTypePermission:
		return fmt.Errorf("reading or writing files, attaching databases and loading extensions are off: only the dataset can be read (%s)", sqldest.FirstLine(de.Msg))
	case duckdb.ErrorTypeInvalidInput:
		switch {
		case strings.HasPrefix(msg, "Cannot execute statement of type"):
			return fmt.Errorf("the dataset is read-only here: only queries that read it run (%s)", sqldest.FirstLine(de.Msg))
		case strings.HasPrefix(msg, "Cannot change configuration option"):
			return fmt.Errorf("settings cannot be changed here (%s)", sqldest.FirstLine(de.Msg))
		}
	}
	return err
}
