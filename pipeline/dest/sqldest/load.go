package sqldest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
)

// Load applies a load package on conn in one transaction: the tables are created or
// evolved, the rows bulk-appended (merged on the primary key where asked), and the
// pipeline state, the schema version, the run and the _dlt_loads row written, all
// committed together or not at all.
func Load(ctx context.Context, d Dialect, conn *sql.Conn, dataset string, job dest.LoadJob) error {
	l := &loader{d: d, conn: conn, dataset: dataset, job: job}
	if err := l.exec(ctx, "BEGIN"); err != nil {
		return err
	}
	if err := l.load(ctx); err != nil {
		_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		return err
	}
	if err := l.exec(ctx, "COMMIT"); err != nil {
		_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		return fmt.Errorf("committing the load: %w", err)
	}
	return nil
}

type loader struct {
	d       Dialect
	conn    *sql.Conn
	dataset string
	job     dest.LoadJob
	// unique are the tables this load made whose _dlt_id becomes UNIQUE once their
	// rows are in (UniqueRowKeys): PostgreSQL builds the index of a million rows in a
	// second from a sort, where keeping it up row by row doubled the load.
	unique []string
}

func (l *loader) exec(ctx context.Context, query string, args ...any) error {
	if _, err := l.conn.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("%s: %w", FirstLine(query), err)
	}
	return nil
}

func (l *loader) table(name string) string { return Qualified(l.dataset, name) }

func (l *loader) load(ctx context.Context) error {
	if err := l.d.LockLoad(ctx, l.conn, l.dataset); err != nil {
		return err
	}
	if err := l.exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+dest.Ident(l.dataset)); err != nil {
		return err
	}
	for _, t := range systemTables {
		if err := l.exec(ctx, createTable(l.d, l.table(t.name), true, t.columns)); err != nil {
			return err
		}
	}
	// A run log made before runs kept their trace gains the column.
	if err := l.exec(ctx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN IF NOT EXISTS trace %s", l.table(dest.RunsTable), l.d.ColumnType(normalize.JSON))); err != nil {
		return err
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
	for _, t := range l.unique {
		if err := l.exec(ctx, fmt.Sprintf("ALTER TABLE %s ADD UNIQUE (%s)", t, dest.Ident(normalize.ColID))); err != nil {
			return err
		}
	}
	return l.writeSystemRows(ctx)
}

// ensureTable creates a table, or adds the columns it lacks.
func (l *loader) ensureTable(ctx context.Context, t *normalize.Table) error {
	have, err := Columns(ctx, l.conn, l.dataset, t.Name)
	if err != nil {
		return err
	}
	if len(have) == 0 {
		cols := make([]column, len(t.Columns))
		for i, c := range t.Columns {
			cols[i] = column{name: c.Name, typ: c.Type, notNull: !c.Nullable}
			if c.Name == normalize.ColID && uniqueRowKeys(l.d) {
				l.unique = append(l.unique, l.table(t.Name))
			}
		}
		return l.exec(ctx, createTable(l.d, l.table(t.Name), false, cols))
	}
	present := map[string]bool{}
	for _, c := range have {
		present[c] = true
	}
	for _, c := range t.Columns {
		if !present[c.Name] {
			if err := l.exec(ctx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", l.table(t.Name), dest.Ident(c.Name), l.d.ColumnType(c.Type))); err != nil {
				return err
			}
		}
	}
	return nil
}

func (l *loader) count(ctx context.Context, table string) (int64, error) {
	var n int64
	err := l.conn.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n)
	return n, err
}

// loadResource applies one resource's write disposition.
func (l *loader) loadResource(ctx context.Context, r dest.ResourceLoad) error {
	tables := l.job.Schema.ResourceTables(r.Name)
	if len(tables) == 0 {
		return nil
	}
	switch r.Disposition {
	case "replace":
		for _, t := range tables {
			if err := l.exec(ctx, "DELETE FROM "+l.table(t.Name)); err != nil {
				return err
			}
		}
		return l.appendTables(ctx, tables, false)
	case "merge":
		existing, err := l.count(ctx, l.table(tables[0].Name))
		if err != nil {
			return err
		}
		if existing == 0 {
			// Nothing to replace: append in place, then keep the last of any record
			// read twice (pages shift when Secoda's data changes during a run).
			if err := l.appendTables(ctx, tables, false); err != nil {
				return err
			}
			return l.dedupe(ctx, tables, r.PrimaryKey, l.table)
		}
		return l.merge(ctx, tables, r.PrimaryKey)
	default:
		return l.appendTables(ctx, tables, false)
	}
}

// merge stages the package's rows in temporary tables, then deletes the records they
// replace (with every child row, by _dlt_root_id) and inserts them.
func (l *loader) merge(ctx context.Context, tables []*normalize.Table, pk string) error {
	stage := func(name string) string { return dest.Ident(l.d.Stage(name)) }
	for _, t := range tables {
		if err := l.d.CreateStage(ctx, l.conn, l.d.Stage(t.Name), l.table(t.Name)); err != nil {
			return err
		}
	}
	if err := l.appendTables(ctx, tables, true); err != nil {
		return err
	}
	if err := l.dedupe(ctx, tables, pk, stage); err != nil {
		return err
	}
	root, key := tables[0], dest.Ident(pk)
	replaced := fmt.Sprintf("SELECT t._dlt_id FROM %s t WHERE t.%s IN (SELECT %s FROM %s)", l.table(root.Name), key, key, stage(root.Name))
	for _, t := range tables[1:] {
		if err := l.exec(ctx, fmt.Sprintf("DELETE FROM %s WHERE _dlt_root_id IN (%s)", l.table(t.Name), replaced)); err != nil {
			return err
		}
	}
	if err := l.exec(ctx, fmt.Sprintf("DELETE FROM %s WHERE %s IN (SELECT %s FROM %s)", l.table(root.Name), key, key, stage(root.Name))); err != nil {
		return err
	}
	for _, t := range tables {
		cols, err := l.columnsOf(ctx, stage(t.Name))
		if err != nil {
			return err
		}
		list := quoteAll(cols)
		if err := l.exec(ctx, fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s", l.table(t.Name), list, list, stage(t.Name))); err != nil {
			return err
		}
		if err := l.exec(ctx, "DROP TABLE "+stage(t.Name)); err != nil {
			return err
		}
	}
	return nil
}

// columnsOf lists the columns of any table by asking for none of its rows.
func (l *loader) columnsOf(ctx context.Context, qualified string) ([]string, error) {
	rows, err := l.conn.QueryContext(ctx, "SELECT * FROM "+qualified+" LIMIT 0")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rows.Columns()
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = dest.Ident(n)
	}
	return strings.Join(q, ", ")
}

// dedupe keeps, of root rows sharing a primary key in this load, the last appended,
// and drops the child rows of the others.
func (l *loader) dedupe(ctx context.Context, tables []*normalize.Table, pk string, name func(string) string) error {
	root, key, rid := name(tables[0].Name), dest.Ident(pk), l.d.RowID()
	var dups int64
	q := fmt.Sprintf("SELECT count(*) - count(DISTINCT %s) FROM %s WHERE _dlt_load_id = $1", key, root)
	if err := l.conn.QueryRowContext(ctx, q, l.job.LoadID).Scan(&dups); err != nil {
		return fmt.Errorf("%s: %w", q, err)
	}
	if dups == 0 {
		return nil
	}
	older := fmt.Sprintf("SELECT a._dlt_id FROM %s a JOIN %s b ON a.%s = b.%s AND a.%s < b.%s WHERE a._dlt_load_id = $1 AND b._dlt_load_id = $1",
		root, root, key, key, rid, rid)
	for _, t := range tables[1:] {
		if err := l.exec(ctx, fmt.Sprintf("DELETE FROM %s WHERE _dlt_root_id IN (%s)", name(t.Name), older), l.job.LoadID); err != nil {
			return err
		}
	}
	return l.exec(ctx, fmt.Sprintf("DELETE FROM %s WHERE _dlt_id IN (%s)", root, older), l.job.LoadID)
}

// appendTables appends each table's rows from the package, to the staging tables if
// staged.
func (l *loader) appendTables(ctx context.Context, tables []*normalize.Table, staged bool) error {
	for _, t := range tables {
		if l.job.Package.Manifest().Rows[t.Name] == 0 {
			continue
		}
		target, qualified := Target{Schema: l.dataset, Name: t.Name}, l.table(t.Name)
		if staged {
			target = Target{Name: l.d.Stage(t.Name)}
			qualified = dest.Ident(target.Name)
		}
		if err := l.appendTable(ctx, t, target, qualified); err != nil {
			return err
		}
	}
	return nil
}

// appendTable streams one table's package rows through the dialect's bulk path. Rows
// hold the schema's columns in order; the table may order them differently (or have
// more, added by hand), so values are placed by name.
func (l *loader) appendTable(ctx context.Context, t *normalize.Table, target Target, qualified string) error {
	cols, err := l.columnsOf(ctx, qualified)
	if err != nil {
		return err
	}
	pos := make([]int, len(cols)) // target column → schema column, -1 for none
	for i, c := range cols {
		_, pos[i] = t.Column(c)
	}
	rows := func(yield func([]any) error) error {
		vals := make([]any, len(cols))
		return l.job.Package.Rows(t.Name, func(cells []normalize.Cell) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			for i, p := range pos {
				if p >= 0 && p < len(cells) {
					vals[i] = CellValue(cells[p])
				} else {
					vals[i] = nil
				}
			}
			return yield(vals)
		})
	}
	if err := l.d.Append(ctx, l.conn, target, cols, rows); err != nil {
		return fmt.Errorf("appending to %s: %w", t.Name, err)
	}
	return nil
}

// CellValue is a cell as a Go value: string (text and json), int64, float64, bool,
// time.Time, or nil.
func CellValue(c normalize.Cell) any {
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

// writeSystemRows records the load: state, schema version, the run, and last the
// _dlt_loads row that marks it complete.
func (l *loader) writeSystemRows(ctx context.Context) error {
	now := time.Now().UTC()
	hash := l.job.Schema.VersionHash()
	// The state's own _version_hash (dlt's), its row's version_hash as dlt writes it.
	var versioned struct {
		Hash string `json:"_version_hash"`
	}
	stateHash := normalize.ChildRowID(l.job.State)
	if json.Unmarshal(l.job.State, &versioned) == nil && versioned.Hash != "" {
		stateHash = versioned.Hash
	}
	if err := l.exec(ctx, fmt.Sprintf(`INSERT INTO %s VALUES ($1, 4, $2, $3, $4, $5, $6, $7)`, l.table("_dlt_pipeline_state")),
		l.job.StateVersion, l.job.PipelineName, dest.CompressState(l.job.State), now, stateHash, l.job.LoadID, randomID()); err != nil {
		return err
	}
	if l.job.SchemaChanged {
		if err := l.exec(ctx, fmt.Sprintf(`INSERT INTO %s VALUES ($1, $2, $3, $4, $5, $6)`, l.table("_dlt_version")),
			l.job.Schema.Version, normalize.DltEngineVersion, now, l.job.Schema.Name, hash, string(l.job.Schema.JSON())); err != nil {
			return err
		}
	}
	r := l.job.Run
	var trace any // NULL when there is none
	if r.Trace != "" {
		trace = r.Trace
	}
	if err := l.exec(ctx, fmt.Sprintf(`INSERT INTO %s (load_id, pipeline_name, started_at, finished_at, records, requests, retries, rate_limited, server_errors, rows, trace)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CAST($10 AS %[2]s), CAST($11 AS %[2]s))`, l.table(dest.RunsTable), l.d.ColumnType(normalize.JSON)),
		l.job.LoadID, l.job.PipelineName, r.StartedAt.UTC(), now, r.Records, r.Requests, r.Retries, r.RateLimited, r.ServerErrors, r.RowsJSON, trace); err != nil {
		return err
	}
	return l.exec(ctx, fmt.Sprintf(`INSERT INTO %s VALUES ($1, $2, 0, $3, $4)`, l.table("_dlt_loads")), l.job.LoadID, l.job.Schema.Name, now, hash)
}

func randomID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return base64.RawStdEncoding.EncodeToString(b[:])
}
