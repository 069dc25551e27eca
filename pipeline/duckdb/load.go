package duckdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/secoda-workbench/secoda-workbench/pipeline/loadpkg"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
)

// ResourceLoad is what a load does with one resource's tables.
type ResourceLoad struct {
	Name        string
	Disposition string // append, replace or merge
	PrimaryKey  string
	// Skip leaves the resource's tables as they are (its records did not change).
	Skip bool
	// DropTables are dropped before anything else (a full refresh, or a resource whose
	// disposition changed to merge, whose old child rows have no _dlt_root_id).
	DropTables []string
}

// LoadJob is one load package and what to do with it.
type LoadJob struct {
	LoadID        string
	PipelineName  string
	Package       *loadpkg.Reader
	Schema        *normalize.Schema // the whole schema after this run
	SchemaChanged bool
	Resources     []ResourceLoad
	State         []byte // the new pipeline state, JSON
	StateVersion  int64
	Run           RunRecord
}

// RunRecord is what a run met, kept beside the loads for `status` and the dashboard.
type RunRecord struct {
	StartedAt    time.Time
	Records      int64
	Requests     int64
	Retries      int64
	RateLimited  int64
	ServerErrors int64
	RowsJSON     string // rows per table, JSON
}

// LoadResult says what the load did.
type LoadResult struct {
	Duration time.Duration
}

// Load applies a load package in one transaction: the tables are created or evolved,
// the rows appended with DuckDB's Appender (merged on the primary key where asked), and
// the pipeline state, the schema version and the _dlt_loads row written, all committed
// together or not at all.
func (d *Destination) Load(ctx context.Context, job LoadJob) (LoadResult, error) {
	start := time.Now()
	db, err := d.open(ctx, false)
	if err != nil {
		return LoadResult{}, err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return LoadResult{}, err
	}
	defer conn.Close()
	l := &loader{d: d, job: job, conn: conn}
	if err := l.exec(ctx, "BEGIN TRANSACTION"); err != nil {
		return LoadResult{}, err
	}
	if err := l.load(ctx); err != nil {
		_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		return LoadResult{}, err
	}
	if err := l.exec(ctx, "COMMIT"); err != nil {
		_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		return LoadResult{}, fmt.Errorf("committing the load: %w", err)
	}
	return LoadResult{Duration: time.Since(start)}, nil
}

type loader struct {
	d    *Destination
	job  LoadJob
	conn *sql.Conn
}

func (l *loader) exec(ctx context.Context, query string, args ...any) error {
	if _, err := l.conn.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("%s: %w", firstLine(query), err)
	}
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

func (l *loader) table(name string) string { return ident(l.d.Dataset) + "." + ident(name) }

func (l *loader) load(ctx context.Context) error {
	ds := ident(l.d.Dataset)
	if err := l.exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+ds); err != nil {
		return err
	}
	for _, q := range systemTables {
		if err := l.exec(ctx, fmt.Sprintf(q, ds)); err != nil {
			return err
		}
	}
	for _, r := range l.job.Resources {
		for _, t := range r.DropTables {
			if err := l.exec(ctx, "DROP TABLE IF EXISTS "+l.table(t)); err != nil {
				return err
			}
		}
	}
	for _, name := range l.job.Schema.TableNames() {
		if err := l.ensureTable(ctx, l.job.Schema.Tables[name]); err != nil {
			return err
		}
	}
	for _, r := range l.job.Resources {
		if r.Skip {
			continue
		}
		if err := l.loadResource(ctx, r); err != nil {
			return fmt.Errorf("loading %s: %w", r.Name, err)
		}
	}
	return l.writeSystemRows(ctx)
}

// systemTables are dlt's, with the columns dlt gives them, plus the run log.
var systemTables = []string{
	`CREATE TABLE IF NOT EXISTS %s._dlt_loads (load_id VARCHAR NOT NULL, schema_name VARCHAR, status BIGINT NOT NULL, inserted_at TIMESTAMP WITH TIME ZONE NOT NULL, schema_version_hash VARCHAR)`,
	`CREATE TABLE IF NOT EXISTS %s._dlt_pipeline_state (version BIGINT NOT NULL, engine_version BIGINT NOT NULL, pipeline_name VARCHAR NOT NULL, state VARCHAR NOT NULL, created_at TIMESTAMP WITH TIME ZONE NOT NULL, version_hash VARCHAR, _dlt_load_id VARCHAR NOT NULL, _dlt_id VARCHAR NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS %s._dlt_version (version BIGINT NOT NULL, engine_version BIGINT NOT NULL, inserted_at TIMESTAMP WITH TIME ZONE NOT NULL, schema_name VARCHAR NOT NULL, version_hash VARCHAR NOT NULL, schema VARCHAR NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS %s._workbench_runs (load_id VARCHAR NOT NULL, pipeline_name VARCHAR NOT NULL, started_at TIMESTAMP WITH TIME ZONE, finished_at TIMESTAMP WITH TIME ZONE, records BIGINT, requests BIGINT, retries BIGINT, rate_limited BIGINT, server_errors BIGINT, rows JSON)`,
}

// ensureTable creates a table, or adds the columns it lacks.
func (l *loader) ensureTable(ctx context.Context, t *normalize.Table) error {
	have, err := l.columns(ctx, l.d.Dataset, t.Name)
	if err != nil {
		return err
	}
	if len(have) == 0 {
		var cols []string
		for _, c := range t.Columns {
			def := ident(c.Name) + " " + sqlType(c.Type)
			if !c.Nullable {
				def += " NOT NULL"
			}
			cols = append(cols, def)
		}
		return l.exec(ctx, fmt.Sprintf("CREATE TABLE %s (%s)", l.table(t.Name), strings.Join(cols, ", ")))
	}
	present := map[string]bool{}
	for _, c := range have {
		present[c] = true
	}
	for _, c := range t.Columns {
		if !present[c.Name] {
			if err := l.exec(ctx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", l.table(t.Name), ident(c.Name), sqlType(c.Type))); err != nil {
				return err
			}
		}
	}
	return nil
}

// columns lists a table's columns in order; none for a missing table.
func (l *loader) columns(ctx context.Context, schema, table string) ([]string, error) {
	return strings1(ctx, l.conn, `SELECT column_name FROM information_schema.columns WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ? ORDER BY ordinal_position`, schema, table)
}

func (l *loader) count(ctx context.Context, table string) (int64, error) {
	var n int64
	err := l.conn.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n)
	return n, err
}

// loadResource applies one resource's write disposition.
func (l *loader) loadResource(ctx context.Context, r ResourceLoad) error {
	tables := l.job.Schema.ResourceTables(r.Name)
	if len(tables) == 0 {
		return nil
	}
	root := tables[0]
	switch r.Disposition {
	case "replace":
		for _, t := range tables {
			if err := l.exec(ctx, "DELETE FROM "+l.table(t.Name)); err != nil {
				return err
			}
		}
		return l.appendTables(ctx, tables, "")
	case "merge":
		existing, err := l.count(ctx, l.table(root.Name))
		if err != nil {
			return err
		}
		if existing == 0 {
			// Nothing to replace: append in place, then keep the last of any record
			// read twice (pages shift when Secoda's data changes during a run).
			if err := l.appendTables(ctx, tables, ""); err != nil {
				return err
			}
			return l.dedupe(ctx, tables, r.PrimaryKey, func(name string) string { return l.table(name) })
		}
		return l.merge(ctx, tables, r.PrimaryKey)
	default:
		return l.appendTables(ctx, tables, "")
	}
}

// merge stages the package's rows in temporary tables, then deletes the records they
// replace (with every child row, by _dlt_root_id) and inserts them.
func (l *loader) merge(ctx context.Context, tables []*normalize.Table, pk string) error {
	stage := func(name string) string { return `temp.main.` + ident("stage_"+name) }
	for _, t := range tables {
		if err := l.exec(ctx, fmt.Sprintf("CREATE OR REPLACE TEMP TABLE %s AS SELECT * FROM %s LIMIT 0", ident("stage_"+t.Name), l.table(t.Name))); err != nil {
			return err
		}
	}
	if err := l.appendTables(ctx, tables, "stage_"); err != nil {
		return err
	}
	if err := l.dedupe(ctx, tables, pk, stage); err != nil {
		return err
	}
	root := tables[0]
	replaced := fmt.Sprintf("SELECT t._dlt_id FROM %s t WHERE t.%s IN (SELECT %s FROM %s)", l.table(root.Name), ident(pk), ident(pk), stage(root.Name))
	for _, t := range tables[1:] {
		if err := l.exec(ctx, fmt.Sprintf("DELETE FROM %s WHERE _dlt_root_id IN (%s)", l.table(t.Name), replaced)); err != nil {
			return err
		}
	}
	if err := l.exec(ctx, fmt.Sprintf("DELETE FROM %s WHERE %s IN (SELECT %s FROM %s)", l.table(root.Name), ident(pk), ident(pk), stage(root.Name))); err != nil {
		return err
	}
	for _, t := range tables {
		if err := l.exec(ctx, fmt.Sprintf("INSERT INTO %s BY NAME SELECT * FROM %s", l.table(t.Name), stage(t.Name))); err != nil {
			return err
		}
		if err := l.exec(ctx, "DROP TABLE "+stage(t.Name)); err != nil {
			return err
		}
	}
	return nil
}

// dedupe keeps, of root rows sharing a primary key in this load, the last appended,
// and drops the child rows of the others.
func (l *loader) dedupe(ctx context.Context, tables []*normalize.Table, pk string, name func(string) string) error {
	root := name(tables[0].Name)
	var dups int64
	q := fmt.Sprintf("SELECT count(*) - count(DISTINCT %s) FROM %s WHERE _dlt_load_id = ?", ident(pk), root)
	if err := l.conn.QueryRowContext(ctx, q, l.job.LoadID).Scan(&dups); err != nil {
		return fmt.Errorf("%s: %w", q, err)
	}
	if dups == 0 {
		return nil
	}
	older := fmt.Sprintf("SELECT _dlt_id FROM %s WHERE _dlt_load_id = ? AND rowid NOT IN (SELECT max(rowid) FROM %s WHERE _dlt_load_id = ? GROUP BY %s)", root, root, ident(pk))
	for _, t := range tables[1:] {
		if err := l.exec(ctx, fmt.Sprintf("DELETE FROM %s WHERE _dlt_root_id IN (%s)", name(t.Name), older), l.job.LoadID, l.job.LoadID); err != nil {
			return err
		}
	}
	return l.exec(ctx, fmt.Sprintf("DELETE FROM %s WHERE _dlt_id IN (%s)", root, older), l.job.LoadID, l.job.LoadID)
}

// appendTables appends each table's rows from the package; prefix names staging tables
// in the temp catalog.
func (l *loader) appendTables(ctx context.Context, tables []*normalize.Table, prefix string) error {
	for _, t := range tables {
		if l.job.Package.Manifest().Rows[t.Name] == 0 {
			continue
		}
		catalog, schema, name := "", l.d.Dataset, t.Name
		if prefix != "" {
			catalog, schema, name = "temp", "main", prefix+t.Name
		}
		if err := l.appendTable(ctx, t, catalog, schema, name); err != nil {
			return err
		}
	}
	return nil
}

// appendFlushRows is how many rows the Appender buffers before it flushes.
const appendFlushRows = 16384

// appendTable streams one table's package rows through the Appender. Rows hold the
// schema's columns in order; the table may order them differently (or have more, added
// by hand), so values are placed by name.
func (l *loader) appendTable(ctx context.Context, t *normalize.Table, catalog, schema, name string) error {
	target, err := l.columns(ctx, schema, name)
	if catalog == "temp" {
		target, err = l.tempColumns(ctx, name)
	}
	if err != nil {
		return err
	}
	pos := make([]int, len(target)) // target column → schema column, -1 for none
	for i, c := range target {
		_, pos[i] = t.Column(c)
	}
	return l.conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppender(dc.(driver.Conn), catalog, schema, name)
		if err != nil {
			return fmt.Errorf("appending to %s: %w", name, err)
		}
		vals := make([]driver.Value, len(target))
		n := 0
		err = l.job.Package.Rows(t.Name, func(cells []normalize.Cell) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			for i, p := range pos {
				if p >= 0 && p < len(cells) {
					vals[i] = cellValue(cells[p])
				} else {
					vals[i] = nil
				}
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
			err = fmt.Errorf("appending to %s: %w", name, cerr)
		}
		return err
	})
}

func (l *loader) tempColumns(ctx context.Context, table string) ([]string, error) {
	return strings1(ctx, l.conn, `SELECT column_name FROM information_schema.columns WHERE table_catalog = 'temp' AND table_name = ? ORDER BY ordinal_position`, table)
}

// writeSystemRows records the load: state, schema version, the run, and last the
// _dlt_loads row that marks it complete.
func (l *loader) writeSystemRows(ctx context.Context) error {
	ds := ident(l.d.Dataset)
	now := time.Now().UTC()
	hash := l.job.Schema.Hash()
	stateHash := normalize.ChildRowID(l.job.State)
	if err := l.exec(ctx, fmt.Sprintf(`INSERT INTO %s._dlt_pipeline_state VALUES (?, 4, ?, ?, ?, ?, ?, ?)`, ds),
		l.job.StateVersion, l.job.PipelineName, CompressState(l.job.State), now, stateHash, l.job.LoadID, randomID()); err != nil {
		return err
	}
	if l.job.SchemaChanged {
		if err := l.exec(ctx, fmt.Sprintf(`INSERT INTO %s._dlt_version VALUES (?, ?, ?, ?, ?, ?)`, ds),
			l.job.Schema.Version, normalize.EngineVersion, now, normalize.SchemaName, hash, string(l.job.Schema.JSON())); err != nil {
			return err
		}
	}
	r := l.job.Run
	if err := l.exec(ctx, fmt.Sprintf(`INSERT INTO %s._workbench_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, ds),
		l.job.LoadID, l.job.PipelineName, r.StartedAt.UTC(), now, r.Records, r.Requests, r.Retries, r.RateLimited, r.ServerErrors, r.RowsJSON); err != nil {
		return err
	}
	return l.exec(ctx, fmt.Sprintf(`INSERT INTO %s._dlt_loads VALUES (?, ?, 0, ?, ?)`, ds), l.job.LoadID, normalize.SchemaName, now, hash)
}

func randomID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return base64.RawStdEncoding.EncodeToString(b[:])
}
