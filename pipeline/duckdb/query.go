package duckdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// QueryResult is a bounded query answer.
type QueryResult struct {
	Columns   []string
	Types     []string // DuckDB's type names
	Rows      [][]any
	Truncated bool // more rows than the limit
}

// DefaultQueryTimeout bounds a query when the caller's context does not.
const DefaultQueryTimeout = 30 * time.Second

// Query runs SQL on a read-only connection with external access off and settings
// locked, after DuckDB's parser has classified it as one SELECT: it can read the
// dataset and nothing else. Writes fail in the read-only engine, file readers and
// ATTACH in the disabled external access, SET in the locked configuration, whatever
// the SQL says; no pattern is matched against it. Unqualified table names resolve in
// the dataset. At most limit rows come back.
func (d *Destination) Query(ctx context.Context, query string, limit int) (*QueryResult, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultQueryTimeout)
		defer cancel()
	}
	db, err := d.open(ctx, true)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return runQuery(ctx, db, query, limit)
}

// ErrNotReadOnly is SQL that DuckDB's own parser does not classify as a query.
var ErrNotReadOnly = errors.New("only a query can run here")

// onlyQuery asks DuckDB's parser whether the SQL is one SELECT (which includes FROM,
// WITH, VALUES, SHOW, DESCRIBE and SUMMARIZE). Everything else (PRAGMA, SET, CALL,
// EXPLAIN, DDL, DML) is refused before it runs: a PRAGMA like enable_profiling would
// otherwise print to this process's stdout, which the MCP server speaks on.
func onlyQuery(ctx context.Context, db *sql.DB, query string) error {
	var out string
	if err := db.QueryRowContext(ctx, "SELECT CAST(json_serialize_sql(?::VARCHAR) AS VARCHAR)", query).Scan(&out); err != nil {
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
		return fmt.Errorf("%w: SELECT, WITH, FROM, VALUES, SHOW, DESCRIBE and SUMMARIZE run; writes, PRAGMA, SET, CALL, EXPLAIN, COPY, ATTACH and INSTALL do not", ErrNotReadOnly)
	case parsed.Error:
		return fmt.Errorf("%s error: %s", parsed.ErrorType, parsed.Message)
	case len(parsed.Statements) != 1:
		return fmt.Errorf("%w: one statement at a time (this has %d)", ErrNotReadOnly, len(parsed.Statements))
	}
	return nil
}

func runQuery(ctx context.Context, db *sql.DB, query string, limit int) (*QueryResult, error) {
	if err := onlyQuery(ctx, db, query); err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, queryError(ctx, err)
	}
	defer rows.Close()
	res := &QueryResult{}
	if res.Columns, err = rows.Columns(); err != nil {
		return nil, err
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	for _, t := range types {
		res.Types = append(res.Types, t.DatabaseTypeName())
	}
	for rows.Next() {
		if limit > 0 && len(res.Rows) == limit {
			res.Truncated = true
			break
		}
		vals := make([]any, len(res.Columns))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, queryError(ctx, err)
	}
	return res, nil
}

// queryError says plainly why a query failed: too slow, or refused by the read-only
// guard, or DuckDB's own message.
func queryError(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("the query was stopped after its time limit: %w", context.DeadlineExceeded)
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "read-only mode") || strings.Contains(msg, "read only mode") || strings.Contains(msg, "attached in read-only"):
		return fmt.Errorf("the dataset is read-only here: only queries that read it run (%s)", firstLine(msg))
	case strings.Contains(msg, "disabled by configuration") || strings.Contains(msg, "disabled through configuration") ||
		strings.Contains(msg, "external access is disabled") || strings.Contains(msg, "enable_external_access"):
		return fmt.Errorf("reading or writing files, attaching databases and loading extensions are off: only the dataset can be read (%s)", firstLine(msg))
	case strings.Contains(msg, "lock_configuration") || strings.Contains(msg, "configuration has been locked"):
		return fmt.Errorf("settings cannot be changed here (%s)", firstLine(msg))
	}
	return err
}

// TableRows counts the rows of each table of the dataset.
func (d *Destination) TableRows(ctx context.Context) (map[string]int64, error) {
	db, err := d.open(ctx, true)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	names, err := strings1(ctx, db, `SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name`, d.Dataset)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(names))
	for _, n := range names {
		var c int64
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+ident(d.Dataset)+"."+ident(n)).Scan(&c); err != nil {
			return nil, err
		}
		out[n] = c
	}
	return out, nil
}

// Load is one row of _dlt_loads with what the run met.
type Load struct {
	LoadID       string
	Status       int64
	InsertedAt   time.Time
	StartedAt    time.Time
	Records      int64
	Requests     int64
	Retries      int64
	RateLimited  int64
	ServerErrors int64
	RowsJSON     string
}

// Loads lists the last n loads, newest first.
func (d *Destination) Loads(ctx context.Context, n int) ([]Load, error) {
	db, err := d.open(ctx, true)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if ok, err := tableExists(ctx, db, d.Dataset, "_dlt_loads"); err != nil || !ok {
		return nil, err
	}
	ds := ident(d.Dataset)
	rows, err := db.QueryContext(ctx, fmt.Sprintf(`SELECT l.load_id, l.status, l.inserted_at, r.started_at, coalesce(r.records, 0), coalesce(r.requests, 0),
		coalesce(r.retries, 0), coalesce(r.rate_limited, 0), coalesce(r.server_errors, 0), coalesce(CAST(r.rows AS VARCHAR), '{}')
		FROM %s._dlt_loads l LEFT JOIN %s._workbench_runs r USING (load_id) ORDER BY l.inserted_at DESC LIMIT ?`, ds, ds), n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Load
	for rows.Next() {
		var l Load
		var started sql.NullTime
		if err := rows.Scan(&l.LoadID, &l.Status, &l.InsertedAt, &started, &l.Records, &l.Requests, &l.Retries, &l.RateLimited, &l.ServerErrors, &l.RowsJSON); err != nil {
			return nil, err
		}
		l.StartedAt = started.Time
		out = append(out, l)
	}
	return out, rows.Err()
}

// queryer is what strings1 needs of a *sql.DB or a *sql.Conn.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// strings1 runs a query of one text column and returns its values.
func strings1(ctx context.Context, q queryer, query string, args ...any) ([]string, error) {
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
