package duckdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

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

// RunQuery classifies the SQL with OnlyQuery, runs it on db (which the caller has made
// read-only) and collects at most limit rows.
func RunQuery(ctx context.Context, db *sql.DB, query string, limit int) (*dest.QueryResult, error) {
	if err := OnlyQuery(ctx, db, query); err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, QueryError(ctx, err)
	}
	defer rows.Close()
	res, err := sqldest.Collect(rows, limit)
	if err != nil {
		return nil, QueryError(ctx, err)
	}
	return res, nil
}

// QueryError says plainly why a query failed: too slow, or refused by the read-only
// guard, or DuckDB's own message.
func QueryError(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("the query was stopped after its time limit: %w", context.DeadlineExceeded)
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "read-only mode") || strings.Contains(msg, "read only mode") || strings.Contains(msg, "attached in read-only"):
		return fmt.Errorf("the dataset is read-only here: only queries that read it run (%s)", sqldest.FirstLine(msg))
	case strings.Contains(msg, "disabled by configuration") || strings.Contains(msg, "disabled through configuration") ||
		strings.Contains(msg, "external access is disabled") || strings.Contains(msg, "enable_external_access"):
		return fmt.Errorf("reading or writing files, attaching databases and loading extensions are off: only the dataset can be read (%s)", sqldest.FirstLine(msg))
	case strings.Contains(msg, "lock_configuration") || strings.Contains(msg, "configuration has been locked"):
		return fmt.Errorf("settings cannot be changed here (%s)", sqldest.FirstLine(msg))
	}
	return err
}
