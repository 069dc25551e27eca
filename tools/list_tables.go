package tools

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/secoda-workbench/secoda-workbench/internal/table"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
	"github.com/secoda-workbench/secoda-workbench/secoda"
)

// ListTablesIn is list_tables' input: none.
type ListTablesIn struct{}

// TableSummary is one table of the dataset.
type TableSummary struct {
	Name        string `json:"name"`
	Rows        int64  `json:"rows"`
	Parent      string `json:"parent,omitempty" jsonschema:"for a child table (a list of its parent's records): the parent, joined on child._dlt_parent_id = parent._dlt_id"`
	Resource    string `json:"resource,omitempty" jsonschema:"the resource of secoda_pipeline.toml that loads it"`
	Disposition string `json:"write_disposition,omitempty"`
	Columns     int    `json:"columns" jsonschema:"how many columns it has"`
	System      bool   `json:"system" jsonschema:"one of dlt's tables (_dlt_loads, _dlt_pipeline_state, _dlt_version) or the run log (_workbench_runs)"`
}

// ListTablesOut is list_tables' result.
type ListTablesOut struct {
	Dataset string         `json:"dataset_name"`
	Tables  []TableSummary `json:"tables" jsonschema:"each resource's root table, then its child tables, then the system tables"`
	Count   int            `json:"count"`
	Next    string         `json:"next"`
}

// ListTables lists the tables of the dataset.
func ListTables(d *Deps) Tool {
	h := Hints{ReadOnly: yes(), Destructive: no(), Idempotent: yes(), OpenWorld: no()}
	return Tool{
		Hints: h,
		Def: define[ListTablesIn, ListTablesOut]("list_tables",
			"List the tables of the loaded dataset: each with its row count, parent table (lists become child tables "+
				"<parent>__<field>, joined on child._dlt_parent_id = parent._dlt_id), resource, column count, and whether it is "+
				"one of dlt's system tables (_dlt_loads, _dlt_pipeline_state, _dlt_version).", h),
		Handler: handle(func(ctx context.Context, _ mcp.CallToolRequest, _ ListTablesIn) (ListTablesOut, string, error) {
			ds, err := d.dataset(ctx)
			if err != nil {
				return ListTablesOut{}, "", err
			}
			plan := ds.plan
			schema, err := ds.storedSchema(ctx)
			if err != nil {
				return ListTablesOut{}, "", err
			}
			dst := ds.dest
			rows, err := dst.TableRows(ctx)
			if err != nil {
				return ListTablesOut{}, "", err
			}
			columns, err := ds.columnCounts(ctx)
			if err != nil {
				return ListTablesOut{}, "", err
			}
			out := ListTablesOut{Dataset: plan.DatasetName, Tables: []TableSummary{}}
			for _, name := range orderedTables(schema, rows) {
				ts := TableSummary{Name: name, Rows: rows[name], Columns: columns[name], System: systemTable(name)}
				if t := schema.Tables[name]; t != nil {
					ts.Parent, ts.Resource, ts.Disposition = t.Parent, t.Resource, t.Disposition
				}
				out.Tables = append(out.Tables, ts)
			}
			out.Count = len(out.Tables)
			out.Next = "get_table_schema for a table's columns and joins, preview_table for its first rows, query_dataset for SQL."
			var b strings.Builder
			fmt.Fprintf(&b, "Dataset %s: %s.\n\n", out.Dataset, plural(out.Count, "table"))
			cells := make([][]any, 0, len(out.Tables))
			for _, t := range out.Tables {
				kind := t.Resource
				if t.System {
					kind = "system"
				}
				cells = append(cells, []any{t.Name, t.Rows, orDash(t.Parent), orDash(kind), orDash(t.Disposition), t.Columns})
			}
			b.WriteString(table.Markdown([]string{"table", "rows", "parent", "resource", "disposition", "columns"}, cells, 120))
			b.WriteString("\nNext: " + out.Next + "\n")
			return out, b.String(), nil
		}),
	}
}

// systemTable tells dlt's tables and the run log from the loaded data.
func systemTable(name string) bool {
	return strings.HasPrefix(name, "_dlt_") || strings.HasPrefix(name, "_workbench_")
}

// storedSchema is the dataset's stored schema; nothing loaded yet is dest.ErrNoData.
func (ds *dataset) storedSchema(ctx context.Context) (*normalize.Schema, error) {
	plan := ds.plan
	stored, err := ds.dest.ReadStored(ctx, plan.PipelineName, plan.SchemaName)
	if err != nil {
		return nil, err
	}
	if stored.Schema == nil {
		return nil, fmt.Errorf("%w: dataset %s in %s has no tables", dest.ErrNoData, plan.DatasetName, ds.dest.Location())
	}
	return stored.Schema, nil
}

// orderedTables lists the schema's tables (each resource's root, then its children)
// and then the other tables of the dataset: the system tables.
func orderedTables(schema *normalize.Schema, inDataset map[string]int64) []string {
	names := []string{}
	for _, n := range schema.TableNames() {
		if _, ok := inDataset[n]; ok {
			names = append(names, n)
		}
	}
	var others []string
	for n := range inDataset {
		if schema.Tables[n] == nil {
			others = append(others, n)
		}
	}
	slices.Sort(others)
	return append(names, others...)
}

// sqlLiteral quotes a string for SQL. Table names reach SQL only after they were found
// among the dataset's tables, and quoted even then.
func sqlLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// sqlIdent quotes an identifier for SQL.
func sqlIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// catalogBounds bound the information_schema queries: far more than any dataset holds.
var catalogBounds = dest.Bounds{Rows: dest.MaxRows, CellBytes: 1 << 10, Bytes: dest.MaxBytes}

// columnCounts counts each table's columns in the database.
func (ds *dataset) columnCounts(ctx context.Context) (map[string]int, error) {
	plan := ds.plan
	res, err := ds.dest.Query(ctx, "SELECT table_name, CAST(count(*) AS BIGINT) FROM information_schema.columns WHERE table_schema = "+
		sqlLiteral(plan.DatasetName)+" GROUP BY table_name", catalogBounds)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(res.Rows))
	for _, r := range res.Rows {
		name, _ := r[0].(string)
		n, _ := r[1].(int64)
		out[name] = int(n)
	}
	return out, nil
}

// tables lists the tables of the dataset in the database, system tables included;
// nothing loaded yet is dest.ErrNoData.
func (ds *dataset) tables(ctx context.Context) ([]string, error) {
	plan := ds.plan
	res, err := ds.dest.Query(ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = "+
		sqlLiteral(plan.DatasetName)+" ORDER BY table_name", catalogBounds)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, r := range res.Rows {
		if s, ok := r[0].(string); ok {
			names = append(names, s)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: dataset %s in %s has no tables", dest.ErrNoData, plan.DatasetName, ds.dest.Location())
	}
	return names, nil
}

// unknownTable is the error for a table the dataset does not have.
func unknownTable(name string, tables []string) error {
	msg := fmt.Sprintf("table %s is not in the dataset", shown(name))
	if s := secoda.Suggest(name, tables); s != "" && s != name {
		msg += fmt.Sprintf(" (did you mean %s?)", s)
	}
	return fmt.Errorf("%s; call list_tables to see its tables", msg)
}
