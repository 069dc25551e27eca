package sqldest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
)

// ReadStored reads the latest schema and pipeline state of a dataset; a dataset
// without them is an empty Stored.
func ReadStored(ctx context.Context, q Queryer, dataset, pipeline, schema string) (dest.Stored, error) {
	var st dest.Stored
	if ok, err := TableExists(ctx, q, dataset, "_dlt_version"); err != nil || !ok {
		return st, err
	}
	// The schema under dlt's source name, else one this program stored under its old
	// name (carried over: the next load stores it under the new one).
	var schemaJSON, name string
	err := q.QueryRowContext(ctx, fmt.Sprintf(`SELECT schema, schema_name FROM %s WHERE schema_name IN ($1, $2)
		ORDER BY CASE WHEN schema_name = $1 THEN 0 ELSE 1 END, version DESC, inserted_at DESC LIMIT 1`, Qualified(dataset, "_dlt_version")),
		schema, normalize.LegacySchemaName).Scan(&schemaJSON, &name)
	st.LegacySchema = name == normalize.LegacySchemaName
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return st, err
	default:
		if st.Schema, err = normalize.ParseSchema([]byte(schemaJSON)); err != nil {
			return st, fmt.Errorf("the stored schema does not parse: %w", err)
		}
	}
	if ok, err := TableExists(ctx, q, dataset, "_dlt_pipeline_state"); err != nil || !ok {
		return st, err
	}
	var blob string
	err = q.QueryRowContext(ctx, fmt.Sprintf(`SELECT version, state FROM %s WHERE pipeline_name = $1 ORDER BY version DESC, created_at DESC LIMIT 1`, Qualified(dataset, "_dlt_pipeline_state")),
		pipeline).Scan(&st.StateVersion, &blob)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return st, err
	default:
		if st.State, err = dest.DecompressState(blob); err != nil {
			return st, err
		}
	}
	return st, nil
}

// TableRows counts the rows of each table (and view) of a dataset.
func TableRows(ctx context.Context, q Queryer, dataset string) (map[string]int64, error) {
	names, err := Strings(ctx, q, `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`, dataset)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(names))
	for _, n := range names {
		var c int64
		if err := q.QueryRowContext(ctx, "SELECT count(*) FROM "+Qualified(dataset, n)).Scan(&c); err != nil {
			return nil, err
		}
		out[n] = c
	}
	return out, nil
}

// Loads lists the last n loads of a dataset, newest first, with what each run met.
// A load's run was incomplete when its trace, kept as JSON beside it (compact, or as
// PostgreSQL's jsonb writes it back, with a space), says so; a string inside the trace
// cannot match, its quotes being escaped.
func Loads(ctx context.Context, q Queryer, dataset string, n int) ([]dest.Load, error) {
	if ok, err := TableExists(ctx, q, dataset, "_dlt_loads"); err != nil || !ok {
		return nil, err
	}
	runs := "(SELECT CAST(NULL AS VARCHAR) AS load_id, CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS started_at, 0 AS records, 0 AS requests, 0 AS retries, 0 AS rate_limited, 0 AS server_errors, NULL AS rows, NULL AS trace)"
	if ok, err := TableExists(ctx, q, dataset, dest.RunsTable); err != nil {
		return nil, err
	} else if ok {
		runs = Qualified(dataset, dest.RunsTable)
	}
	rows, err := q.QueryContext(ctx, fmt.Sprintf(`SELECT l.load_id, l.status, l.inserted_at, r.started_at, coalesce(r.records, 0), coalesce(r.requests, 0),
		coalesce(r.retries, 0), coalesce(r.rate_limited, 0), coalesce(r.server_errors, 0), coalesce(CAST(r.rows AS VARCHAR), '{}'),
		coalesce(CAST(r.trace AS VARCHAR) LIKE '%%"outcome":"incomplete"%%' OR CAST(r.trace AS VARCHAR) LIKE '%%"outcome": "incomplete"%%', false)
		FROM %s l LEFT JOIN %s r ON r.load_id = l.load_id ORDER BY l.inserted_at DESC LIMIT $1`, Qualified(dataset, "_dlt_loads"), runs), n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []dest.Load
	for rows.Next() {
		var l dest.Load
		var started sql.NullTime
		if err := rows.Scan(&l.LoadID, &l.Status, &l.InsertedAt, &started, &l.Records, &l.Requests, &l.Retries, &l.RateLimited, &l.ServerErrors, &l.RowsJSON, &l.Incomplete); err != nil {
			return nil, err
		}
		l.StartedAt = started.Time
		out = append(out, l)
	}
	return out, rows.Err()
}

// BrowseSQL is the query of one page of a table. Sorted, it sorts the key alone and
// fetches the page's rows by rid, a column unique to each row (a row id, or _dlt_id):
// on a wide table many times faster than sorting whole rows. rid breaks ties, so pages
// neither repeat nor skip rows; "" sorts whole rows, without a tie-break.
func BrowseSQL(rid, dataset string, p dest.Page) string {
	t := Qualified(dataset, p.Table)
	if p.Sort == "" {
		return fmt.Sprintf("SELECT * FROM %s LIMIT %d OFFSET %d", t, p.Bounds.Rows, p.Offset)
	}
	dir := "ASC"
	if p.Desc {
		dir = "DESC"
	}
	order := dest.Ident(p.Sort) + " " + dir + " NULLS LAST"
	if rid == "" {
		return fmt.Sprintf("SELECT * FROM %s ORDER BY %s LIMIT %d OFFSET %d", t, order, p.Bounds.Rows, p.Offset)
	}
	return fmt.Sprintf("SELECT t.* FROM (SELECT %s AS k FROM %s ORDER BY %s, %s LIMIT %d OFFSET %d) page JOIN %s t ON t.%s = page.k ORDER BY t.%s, t.%s",
		rid, t, order, rid, p.Bounds.Rows, p.Offset, t, rid, order, rid)
}
