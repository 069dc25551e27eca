package tools

import (
	"context"
	"fmt"
	"slices"

	"github.com/mark3labs/mcp-go/mcp"
)

// DefaultPreviewRows is preview_table's default limit, as dlt's preview_table has it.
const DefaultPreviewRows = 10

// PreviewTableIn is preview_table's input.
type PreviewTableIn struct {
	Table string `json:"table" jsonschema:"a table of the dataset, as list_tables names it"`
	Limit int    `json:"limit,omitempty" jsonschema:"the most rows to return (default 10, at most 1000)"`
}

// PreviewTable shows the first rows of a table of the dataset.
func PreviewTable(d *Deps) Tool {
	h := Hints{ReadOnly: yes(), Destructive: no(), Idempotent: yes(), OpenWorld: no()}
	return Tool{
		Hints: h,
		Def: define[PreviewTableIn, QueryResult]("preview_table",
			"Show the first rows of a table of the dataset (default 10, at most 1000) as a Markdown table, with the rows "+
				"structured too. For chosen columns, filters or joins use query_dataset.", h),
		Handler: handle(func(ctx context.Context, _ mcp.CallToolRequest, in PreviewTableIn) (QueryResult, string, error) {
			limit, err := rowLimit(in.Limit, DefaultPreviewRows)
			if err != nil {
				return QueryResult{}, "", err
			}
			ds, err := d.dataset(ctx)
			if err != nil {
				return QueryResult{}, "", err
			}
			plan := ds.plan
			tables, err := ds.tables(ctx)
			if err != nil {
				return QueryResult{}, "", err
			}
			if !slices.Contains(tables, in.Table) {
				return QueryResult{}, "", unknownTable(in.Table, tables)
			}
			ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
			defer cancel()
			sql := fmt.Sprintf("SELECT * FROM %s.%s", sqlIdent(plan.DatasetName), sqlIdent(in.Table))
			res, err := ds.dest.Query(ctx, sql, rowBounds(limit))
			if err != nil {
				return QueryResult{}, "", err
			}
			return queryResult(res, "markdown", fmt.Sprintf("raise limit (at most %d), or page with query_dataset: SELECT * FROM %s LIMIT %d OFFSET %d",
				MaxRowLimit, sqlName(in.Table), limit, limit), in.Limit == 0)
		}),
	}
}
