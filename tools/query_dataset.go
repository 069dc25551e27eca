package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/secoda-workbench/secoda-workbench/internal/table"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
)

// Limits of the tools that return rows.
const (
	DefaultQueryLimit = 100
	MaxRowLimit       = 1000
	// QueryTimeout bounds one query.
	QueryTimeout = 30 * time.Second
	// CellBytes bounds one cell of a row a tool returns; longer ones are cut, ending in
	// dest.CutMark.
	CellBytes = 4 << 10
	// MaxSQLBytes bounds the SQL a query takes.
	MaxSQLBytes = 64 << 10
	// RowBytes bounds the cells of all the rows one result holds, before the JSON of
	// the result (which MaxStructured bounds) adds the column names to each row.
	RowBytes = 256 << 10
)

// rowBounds are the bounds of n rows a tool returns.
func rowBounds(n int) dest.Bounds { return dest.Bounds{Rows: n, CellBytes: CellBytes, Bytes: RowBytes} }

// QueryDatasetIn is query_dataset's input.
type QueryDatasetIn struct {
	SQL    string `json:"sql" jsonschema:"one read-only query (SELECT, WITH, FROM, VALUES, SHOW, DESCRIBE, SUMMARIZE); tables resolve in the dataset without a schema prefix"`
	Limit  int    `json:"limit,omitempty" jsonschema:"the most rows to return (default 100, at most 1000)"`
	Format string `json:"format,omitempty" jsonschema:"the text rendering: markdown (default), json or csv; the structured result is the same"`
}

// QueryResult is rows as the tools return them.
type QueryResult struct {
	Columns   []string         `json:"columns"`
	Types     []string         `json:"types"`
	Rows      []map[string]any `json:"rows"`
	RowCount  int              `json:"row_count"`
	Truncated bool             `json:"truncated" jsonschema:"more rows exist than the result holds (the row limit or the size bound stopped it)"`
	CutCells  int              `json:"cut_cells,omitempty" jsonschema:"cells cut to the cell bound (4096 bytes), each ending in …"`
	More      string           `json:"more,omitempty" jsonschema:"how to get more, when truncated or cells were cut"`
}

// QueryDataset runs read-only SQL against the dataset.
func QueryDataset(d *Deps) Tool {
	h := Hints{ReadOnly: yes(), Destructive: no(), Idempotent: yes(), OpenWorld: no()}
	return Tool{
		Hints: h,
		Def: define[QueryDatasetIn, QueryResult]("query_dataset",
			"Run read-only SQL against the loaded dataset, under a 30 s limit. Read-only by construction: for DuckDB and Parquet "+
				"files (DuckDB SQL), DuckDB's parser must see one query, run on a read-only connection with file access, ATTACH, "+
				"extensions and settings off; for PostgreSQL (its SQL), the planner must show one statement that writes nothing, run "+
				"in a READ ONLY transaction with a statement timeout. "+
				"Child tables join their parent on child._dlt_parent_id = parent._dlt_id. Use list_tables and get_table_schema first.", h),
		Handler: handle(func(ctx context.Context, _ mcp.CallToolRequest, in QueryDatasetIn) (QueryResult, string, error) {
			limit, err := rowLimit(in.Limit, DefaultQueryLimit)
			if err != nil {
				return QueryResult{}, "", err
			}
			if len(in.SQL) > MaxSQLBytes {
				return QueryResult{}, "", fmt.Errorf("the SQL is %d bytes; a query takes at most %d: aggregate in the query instead of listing values in it", len(in.SQL), MaxSQLBytes)
			}
			format := in.Format
			if format == "" {
				format = "markdown"
			}
			if format != "markdown" && format != "json" && format != "csv" {
				return QueryResult{}, "", fmt.Errorf("format %s: use markdown, json or csv", shown(in.Format))
			}
			plan, err := d.plan()
			if err != nil {
				return QueryResult{}, "", err
			}
			ds, err := d.open(ctx, plan)
			if err != nil {
				return QueryResult{}, "", err
			}
			ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
			defer cancel()
			res, err := ds.dest.Query(ctx, in.SQL, rowBounds(limit))
			if err != nil {
				return QueryResult{}, "", sqlError(err)
			}
			return queryResult(res, format, fmt.Sprintf("raise limit (at most %d) or narrow the query with WHERE, LIMIT and OFFSET", MaxRowLimit), in.Limit == 0)
		}),
	}
}

// rowLimit checks a limit argument.
func rowLimit(n, def int) (int, error) {
	switch {
	case n == 0:
		return def, nil
	case n < 0 || n > MaxRowLimit:
		return 0, fmt.Errorf("limit %d: give 1 to %d", n, MaxRowLimit)
	}
	return n, nil
}

// queryResult renders rows for the agent: the structured rows, fitted to MaxStructured
// (DefaultResponseBytes when the call left the limit to the tool), and a text in the
// asked format.
func queryResult(res *dest.QueryResult, format, more string, defaultLimit bool) (QueryResult, string, error) {
	out := QueryResult{Columns: res.Columns, Types: res.Types, Rows: table.Objects(res.Columns, res.Rows), RowCount: len(res.Rows),
		Truncated: res.Truncated, CutCells: res.CutCells}
	if out.Columns == nil {
		out.Columns = []string{}
	}
	if out.Types == nil {
		out.Types = []string{}
	}
	budget := MaxStructured
	if defaultLimit {
		budget = DefaultResponseBytes
	}
	if n := fitRows(&out, budget); n < len(res.Rows) {
		res = &dest.QueryResult{Columns: res.Columns, Types: res.Types, Rows: res.Rows[:n], Truncated: true}
		if defaultLimit {
			more = fmt.Sprintf("a call without limit returns at most %d kB: pass limit (up to %d) for more rows, or select fewer columns", DefaultResponseBytes>>10, MaxRowLimit)
		}
	}
	var notes []string
	if out.Truncated {
		notes = append(notes, more)
	}
	if out.CutCells > 0 {
		notes = append(notes, fmt.Sprintf("%d cells were cut at %d bytes (they end in %s): read a long value in parts with substr(column, start, length)",
			out.CutCells, CellBytes, dest.CutMark))
	}
	out.More = strings.Join(notes, "; ")
	var text string
	switch format {
	case "json":
		b, err := json.Marshal(out.Rows)
		if err != nil {
			return out, "", err
		}
		text = string(b)
	case "csv":
		var b bytes.Buffer
		if err := table.Write(&b, res, "csv"); err != nil {
			return out, "", err
		}
		text = b.String()
	default:
		text = table.Markdown(res.Columns, res.Rows, 200)
	}
	note := fmt.Sprintf("%d rows", out.RowCount)
	if out.Truncated {
		note = fmt.Sprintf("the first %d rows; there are more: %s", out.RowCount, more)
	}
	return out, text + "\n(" + note + ")", nil
}

// fitRows drops rows from the end of out until its JSON fits in budget bytes (the
// column names repeat in every row, which the byte bound of the cells does not
// count), and returns how many are kept.
func fitRows(out *QueryResult, budget int) int {
	size := func(n int) int {
		c := *out
		c.Rows = c.Rows[:n]
		b, _ := json.Marshal(c)
		return len(b)
	}
	n := len(out.Rows)
	if size(n) <= budget {
		return n
	}
	lo, hi := 0, n // size(lo) fits, size(hi) does not
	for hi-lo > 1 {
		if mid := (lo + hi) / 2; size(mid) <= budget {
			lo = mid
		} else {
			hi = mid
		}
	}
	out.Rows, out.RowCount, out.Truncated = out.Rows[:lo], lo, true
	return lo
}

// sqlError is a query's error with the next step where the SQL is what is wrong (the
// destination's errors, and a read past its memory or time, say their own).
func sqlError(err error) error {
	for _, known := range []error{dest.ErrNoData, dest.ErrInUse, dest.ErrReadMemory, context.DeadlineExceeded, context.Canceled} {
		if errors.Is(err, known) {
			return err
		}
	}
	return fmt.Errorf("%w\n\nFix the SQL: list_tables names the tables (unqualified), get_table_schema a table's columns", err)
}
