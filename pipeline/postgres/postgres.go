// Package postgres is the PostgreSQL destination: the dataset is a schema in a
// database, with dlt's system tables beside the data and dlt's names (shortened to
// PostgreSQL's 63 bytes). A load is one transaction (sqldest.Load) whose rows arrive by
// COPY; reads run in READ ONLY transactions with a statement timeout, on a connection
// opened for them and closed after. The password never comes from the config: the
// caller passes it, found in SECODA_DESTINATION_PASSWORD or the OS keyring.
package postgres

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest/sqldest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
)

// MaxIdentifierLength is PostgreSQL's: longer names are cut, so dlt shortens them first.
const MaxIdentifierLength = 63

// Destination is one dataset (schema) in one PostgreSQL database.
type Destination struct {
	URL      string // postgres://user@host:port/database?options, without a password
	Password string // "" for none (trust, peer or .pgpass)
	Dataset  string
}

var _ dest.Destination = (*Destination)(nil)

// New describes the destination; it connects to nothing.
func New(url, password, dataset string) *Destination {
	return &Destination{URL: url, Password: password, Dataset: dataset}
}

// Type is "postgres".
func (d *Destination) Type() string { return dest.Postgres }

// Location is the URL (which holds no password) without its options.
func (d *Destination) Location() string {
	if u, err := url.Parse(d.URL); err == nil {
		u.RawQuery, u.User = "", url.User(u.User.Username())
		if u.User.Username() == "" {
			u.User = nil
		}
		return u.String()
	}
	return d.URL
}

// connConfig is the pgx configuration with the password set.
func (d *Destination) connConfig() (*pgx.ConnConfig, error) {
	// The config's decoder has checked the URL; a destination made another way is
	// checked too, before pgx reads any file the URL names.
	if err := CheckURL(d.URL); err != nil {
		return nil, fmt.Errorf("the destination URL: %w", err)
	}
	cfg, err := pgx.ParseConfig(d.URL)
	if err != nil {
		return nil, fmt.Errorf("the destination URL does not parse: %w", err)
	}
	if d.Password != "" {
		cfg.Password = d.Password
	}
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > 10*time.Second {
		cfg.ConnectTimeout = 10 * time.Second
	}
	cfg.RuntimeParams["application_name"] = "secoda-workbench"
	// A connection serves one load or one read and is closed: no statement cache.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	return cfg, nil
}

// open connects; errors say what to do.
func (d *Destination) open(ctx context.Context) (*sql.DB, *sql.Conn, error) {
	cfg, err := d.connConfig()
	if err != nil {
		return nil, nil, err
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err == nil {
		err = conn.PingContext(ctx)
	}
	if err != nil {
		if conn != nil {
			conn.Close()
		}
		db.Close()
		return nil, nil, d.friendly(err)
	}
	return db, conn, nil
}

// friendly says what a connection error means and what to do.
func (d *Destination) friendly(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "28P01", "28000":
			return fmt.Errorf("PostgreSQL at %s refused the login (%s): keep the destination's password in the OS keyring with "+
				"`secoda-workbench secrets set --destination`, or in SECODA_DESTINATION_PASSWORD", d.Location(), pe.Message)
		case "3D000":
			return fmt.Errorf("%s: %s; create it (createdb) or fix [destination] url", d.Location(), pe.Message)
		case "57014":
			return fmt.Errorf("the query was stopped after its time limit: %w", context.DeadlineExceeded)
		case "25006":
			return fmt.Errorf("the dataset is read-only here: only queries that read it run (%s)", pe.Message)
		case "55P03", "40P01":
			return fmt.Errorf("%w: %s (%s); try again when the other load is done", dest.ErrInUse, d.Location(), pe.Message)
		}
		return err
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		msg := err.Error()
		if i := strings.Index(msg, "failed to connect to "); i >= 0 {
			msg = msg[i:]
		}
		return fmt.Errorf("cannot reach PostgreSQL at %s: %s: start the server, or fix [destination] url in secoda_pipeline.toml; "+
			"`secoda-workbench validate --check-connection` tries it", d.Location(), msg)
	}
	return err
}

// Check is what `validate --check-connection` learns of the database.
type Check struct {
	Version   string // the server's, e.g. 15.18
	Role      string
	Superuser bool // a superuser can read server files even in a READ ONLY transaction
	CanLoad   bool // the dataset's schema exists and the role may create in it, or the role may create it
}

// Check logs in and asks what a load and the read-only queries need.
func (d *Destination) Check(ctx context.Context) (Check, error) {
	var c Check
	db, conn, err := d.open(ctx)
	if err != nil {
		return c, err
	}
	defer db.Close()
	defer conn.Close()
	err = conn.QueryRowContext(ctx, `SELECT current_setting('server_version'), current_user,
		(SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
		CASE WHEN EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)
			THEN has_schema_privilege(current_user, $1, 'CREATE')
			ELSE has_database_privilege(current_user, current_database(), 'CREATE') END`, d.Dataset).
		Scan(&c.Version, &c.Role, &c.Superuser, &c.CanLoad)
	return c, d.friendly(err)
}

// Ping logs in and out: the check that the URL and the password work.
func (d *Destination) Ping(ctx context.Context) error {
	db, conn, err := d.open(ctx)
	if err != nil {
		return err
	}
	conn.Close()
	return db.Close()
}

// ReadStored reads the latest schema and pipeline state; before the first load it is
// empty.
func (d *Destination) ReadStored(ctx context.Context, pipeline, schema string) (dest.Stored, error) {
	var st dest.Stored
	err := d.read(ctx, false, func(tx *sql.Tx) error {
		var err error
		st, err = sqldest.ReadStored(ctx, tx, d.Dataset, pipeline, schema)
		return err
	})
	if errors.Is(err, dest.ErrNoData) {
		return dest.Stored{}, nil
	}
	return st, err
}

// read runs f in a READ ONLY transaction with the statement timeout, the dataset first
// on the search path; a dataset that does not exist is dest.ErrNoData.
func (d *Destination) read(ctx context.Context, limited bool, f func(tx *sql.Tx) error) error {
	ctx, cancel := dest.WithDefaultTimeout(ctx)
	defer cancel()
	db, conn, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	defer conn.Close()
	var exists bool
	if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", d.Dataset).Scan(&exists); err != nil {
		return d.friendly(err)
	}
	if !exists {
		return fmt.Errorf("%w: dataset %s does not exist in %s; run `secoda-workbench run` first", dest.ErrNoData, d.Dataset, d.Location())
	}
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return d.friendly(err)
	}
	defer tx.Rollback()
	budget := dest.DefaultQueryTimeout
	if dl, ok := ctx.Deadline(); ok {
		budget = max(time.Until(dl), time.Millisecond)
	}
	if !limited {
		budget = max(budget, time.Minute)
	}
	for _, s := range []string{
		fmt.Sprintf("SET LOCAL statement_timeout = %d", budget.Milliseconds()),
		"SET LOCAL search_path = " + dest.Ident(d.Dataset),
	} {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return d.friendly(err)
		}
	}
	if err := f(tx); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("the query was stopped after its time limit: %w", context.DeadlineExceeded)
		}
		return d.friendly(err)
	}
	return nil
}

// Query runs one query in a READ ONLY transaction with a statement timeout, after
// PostgreSQL's planner has shown it is one statement that writes nothing (EXPLAIN
// plans without running: COPY, SET, DO, CALL and the like do not explain, and a plan
// that modifies a table is refused). The transaction refuses any write regardless;
// what it cannot refuse (functions that read server files) needs privileges that the
// role loading the data should not have: see the README. The answer is read within b
// through a cursor (boundedRead).
func (d *Destination) Query(ctx context.Context, query string, b dest.Bounds) (*dest.QueryResult, error) {
	var res *dest.QueryResult
	err := d.read(ctx, true, func(tx *sql.Tx) error {
		if err := onlyQuery(ctx, tx, query); err != nil {
			return err
		}
		var err error
		res, err = boundedRead(ctx, tx, query, b)
		return err
	})
	return res, err
}

// scanBatch is how many rows Scan fetches at a time.
const scanBatch = 1000

// Scan streams a query's rows (dest.Scanner) in a READ ONLY transaction through a
// cursor, its cells cut by the server as Query cuts them: one pass over a table,
// where paging it by ranges of a key without an index would sort it for each page.
func (d *Destination) Scan(ctx context.Context, query string, cellBytes int, each func(row []any) error) error {
	return d.read(ctx, false, func(tx *sql.Tx) error {
		sh, err := sqldest.ProbeShape(ctx, tx, query, cut, cellBytes)
		if err != nil {
			return err
		}
		all := dest.Bounds{Rows: math.MaxInt32 - 1, CellBytes: cellBytes}
		if _, err := tx.ExecContext(ctx, "DECLARE "+cursorName+" NO SCROLL CURSOR FOR "+sqldest.BoundedSQL(query, sh, all, cut)); err != nil {
			return err
		}
		vals := make([]any, len(sh.Types))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for {
			rows, err := tx.QueryContext(ctx, fmt.Sprintf("FETCH FORWARD %d FROM %s", scanBatch, cursorName))
			if err != nil {
				return err
			}
			n := 0
			for rows.Next() {
				if err := rows.Scan(ptrs...); err != nil {
					rows.Close()
					return err
				}
				if err := each(vals); err != nil {
					rows.Close()
					return err
				}
				n++
			}
			err = rows.Err()
			rows.Close()
			if err != nil {
				return err
			}
			if n < scanBatch {
				return nil
			}
		}
	})
}

// cursorName is the cursor a bounded read fetches from.
const cursorName = "workbench_read"

// cursorBatch is how many rows a bounded read fetches at a time.
const cursorBatch = 64

// boundedRead reads a query's answer within b through a cursor: its cells cut by the
// server (sqldest.BoundedSQL with cut), its rows fetched a batch at a time until the
// bounds are met, so the server produces little past them and nothing is drained.
func boundedRead(ctx context.Context, tx *sql.Tx, query string, b dest.Bounds) (*dest.QueryResult, error) {
	b = b.Clamp()
	sh, err := sqldest.ProbeShape(ctx, tx, query, cut, b.CellBytes)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42601" {
		// The planner took it (onlyQuery), but it is no query: CREATE TABLE AS, say.
		return nil, fmt.Errorf("%w: SELECT, WITH, VALUES and TABLE run; writes, COPY, SET, DO, CALL and DDL do not", dest.ErrNotReadOnly)
	}
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, "DECLARE "+cursorName+" NO SCROLL CURSOR FOR "+sqldest.BoundedSQL(query, sh, b, cut)); err != nil {
		return nil, err
	}
	c := sqldest.NewCollector(sh, b)
	for {
		n := cursorBatch
		if c.Full() {
			n = 1
		}
		rows, err := tx.QueryContext(ctx, fmt.Sprintf("FETCH FORWARD %d FROM %s", n, cursorName))
		if err != nil {
			return nil, err
		}
		more, seen, err := c.Read(rows)
		rows.Close()
		if err != nil {
			return nil, err
		}
		if !more || seen < n {
			break
		}
	}
	if _, err := tx.ExecContext(ctx, "CLOSE "+cursorName); err != nil {
		return nil, err
	}
	return c.Result(), nil
}

// cut is PostgreSQL's sqldest.Cutter: text cut with left(), JSON and arrays as JSON
// text, other types of unbounded size as text, all cut likewise; numbers, times and
// UUIDs as they are. Types are named as pgx names them.
func cut(col, typ string, n int) (string, sqldest.CellKind) {
	switch {
	case typ == "TEXT" || typ == "VARCHAR" || typ == "BPCHAR" || typ == "NAME":
		return fmt.Sprintf("left(%s, %d)", col, n+1), sqldest.Text
	case typ == "JSON" || typ == "JSONB":
		return fmt.Sprintf("left(%s::text, %d)", col, n+1), sqldest.JSONText
	case strings.HasPrefix(typ, "_"):
		return fmt.Sprintf("left(to_json(%s)::text, %d)", col, n+1), sqldest.JSONText
	case fixedSize[typ]:
		return col, sqldest.Fixed
	}
	return fmt.Sprintf("left(%s::text, %d)", col, n+1), sqldest.Text
}

// fixedSize are PostgreSQL's types of a bounded size, by the names pgx gives them.
var fixedSize = map[string]bool{
	"BOOL": true, "INT2": true, "INT4": true, "INT8": true, "FLOAT4": true, "FLOAT8": true, "OID": true,
	"DATE": true, "TIME": true, "TIMETZ": true, "TIMESTAMP": true, "TIMESTAMPTZ": true, "INTERVAL": true, "UUID": true,
}

// onlyQuery asks the planner for the query's plan and refuses what is not one
// read-only query.
func onlyQuery(ctx context.Context, tx *sql.Tx, query string) error {
	var plan string
	err := tx.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+query).Scan(&plan)
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && (pe.Code == "42601" || pe.Code == "0A000") && !startsLikeQuery(query) {
			return fmt.Errorf("%w: SELECT, WITH, VALUES and TABLE run; writes, COPY, SET, DO, CALL and DDL do not", dest.ErrNotReadOnly)
		}
		if strings.Contains(err.Error(), "multiple commands") {
			return fmt.Errorf("%w: one statement at a time", dest.ErrNotReadOnly)
		}
		return err
	}
	var parsed []map[string]any
	if err := json.Unmarshal([]byte(plan), &parsed); err != nil || len(parsed) != 1 {
		return fmt.Errorf("%w: one statement at a time", dest.ErrNotReadOnly)
	}
	if modifies(parsed[0]["Plan"]) {
		return fmt.Errorf("%w: the statement changes data", dest.ErrNotReadOnly)
	}
	return nil
}

// modifies reports whether a plan node, or any below it, writes.
func modifies(node any) bool {
	m, ok := node.(map[string]any)
	if !ok {
		return false
	}
	if t, _ := m["Node Type"].(string); t == "ModifyTable" || t == "LockRows" {
		return true
	}
	kids, _ := m["Plans"].([]any)
	for _, k := range kids {
		if modifies(k) {
			return true
		}
	}
	return false
}

// startsLikeQuery reports whether SQL begins (after comments and parentheses) with a
// word a query begins with, to tell a syntax error in a query from a statement that
// is not one.
func startsLikeQuery(q string) bool {
	for {
		q = strings.TrimLeft(q, " \t\r\n(")
		switch {
		case strings.HasPrefix(q, "--"):
			if i := strings.IndexByte(q, '\n'); i >= 0 {
				q = q[i:]
				continue
			}
			return false
		case strings.HasPrefix(q, "/*"):
			if i := strings.Index(q, "*/"); i >= 0 {
				q = q[i+2:]
				continue
			}
			return false
		}
		break
	}
	end := strings.IndexFunc(q, func(r rune) bool { return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') })
	if end < 0 {
		end = len(q)
	}
	switch strings.ToUpper(q[:end]) {
	case "SELECT", "WITH", "VALUES", "TABLE":
		return true
	}
	return false
}

// TableRows counts the rows of each table of the dataset.
func (d *Destination) TableRows(ctx context.Context) (map[string]int64, error) {
	var out map[string]int64
	err := d.read(ctx, false, func(tx *sql.Tx) error {
		var err error
		out, err = sqldest.TableRows(ctx, tx, d.Dataset)
		return err
	})
	return out, err
}

// Loads lists the last n loads, newest first.
func (d *Destination) Loads(ctx context.Context, n int) ([]dest.Load, error) {
	var out []dest.Load
	err := d.read(ctx, false, func(tx *sql.Tx) error {
		var err error
		out, err = sqldest.Loads(ctx, tx, d.Dataset, n)
		return err
	})
	return out, err
}

// Browse reads one page of a table (sqldest.BrowseSQL) in a READ ONLY transaction.
func (d *Destination) Browse(ctx context.Context, p dest.Page) (*dest.QueryResult, error) {
	var res *dest.QueryResult
	err := d.read(ctx, true, func(tx *sql.Tx) error {
		var err error
		p.Bounds = p.Bounds.Clamp()
		res, err = boundedRead(ctx, tx, sqldest.BrowseSQL(dialect{}.RowID(), d.Dataset, p), p.Bounds)
		return err
	})
	return res, err
}

// Load applies a load package in one transaction (sqldest.Load), its rows by COPY.
func (d *Destination) Load(ctx context.Context, job dest.LoadJob) (dest.LoadResult, error) {
	start := time.Now()
	db, conn, err := d.open(ctx)
	if err != nil {
		return dest.LoadResult{}, err
	}
	defer db.Close()
	defer conn.Close()
	if err := sqldest.Load(ctx, dialect{}, conn, d.Dataset, job); err != nil {
		return dest.LoadResult{}, d.friendly(err)
	}
	return dest.LoadResult{Duration: time.Since(start)}, nil
}

// dialect is PostgreSQL's part of a SQL load.
type dialect struct{}

// ColumnType is the PostgreSQL type of a dlt type, as dlt's postgres destination has it.
// UniqueRowKeys is true: each table's _dlt_id is UNIQUE, as dlt creates it.
func (dialect) UniqueRowKeys() bool { return true }

func (dialect) ColumnType(t normalize.DataType) string {
	switch t {
	case normalize.BigInt:
		return "bigint"
	case normalize.Double:
		return "double precision"
	case normalize.Bool:
		return "boolean"
	case normalize.Timestamp:
		return "timestamp with time zone"
	case normalize.JSON:
		return "jsonb"
	}
	return "varchar"
}

// Stage names a staging table by a hash of the table's name: "stage_" and a 63-byte
// name would not fit.
func (dialect) Stage(table string) string {
	h := sha256.Sum256([]byte(table))
	return "stage_" + hex.EncodeToString(h[:12])
}

func (dialect) CreateStage(ctx context.Context, conn *sql.Conn, stage, like string) error {
	if _, err := conn.ExecContext(ctx, "DROP TABLE IF EXISTS pg_temp."+dest.Ident(stage)); err != nil {
		return err
	}
	_, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE TEMP TABLE %s (LIKE %s)", dest.Ident(stage), like))
	return err
}

func (dialect) RowID() string { return "ctid" }

// LockLoad takes a transaction-scoped advisory lock named by the dataset: a second
// load of the same dataset, from this machine or another, waits for the first.
func (dialect) LockLoad(ctx context.Context, conn *sql.Conn, dataset string) error {
	_, err := conn.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", "secoda-workbench:"+dataset)
	return err
}

// Append sends rows with COPY FROM STDIN (binary), pulling them from the package as
// COPY asks for them.
func (dialect) Append(ctx context.Context, conn *sql.Conn, t sqldest.Target, columns []string, rows sqldest.RowSource) error {
	table := pgx.Identifier{t.Name}
	if t.Schema != "" {
		table = pgx.Identifier{t.Schema, t.Name}
	}
	var srcErr error
	stop := errors.New("stop")
	seq := func(yield func([]any) bool) {
		err := rows(func(values []any) error {
			if !yield(values) {
				return stop
			}
			return nil
		})
		if err != nil && err != stop {
			srcErr = err
		}
	}
	next, done := iter.Pull(iter.Seq[[]any](seq))
	defer done()
	return conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		_, err := pc.CopyFrom(ctx, table, columns, pgx.CopyFromFunc(func() ([]any, error) {
			v, ok := next()
			if !ok {
				return nil, srcErr
			}
			return v, nil
		}))
		if err == nil {
			err = srcErr
		}
		return err
	})
}
