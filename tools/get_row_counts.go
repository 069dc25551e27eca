package tools

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
)

// GetRowCountsIn is get_row_counts' input: none.
type GetRowCountsIn struct{}

// GetRowCountsOut is get_row_counts' result.
type GetRowCountsOut struct {
	Tables map[string]int64 `json:"tables" jsonschema:"rows per data table; dlt's system tables are left out (list_tables has them)"`
	Total  int64            `json:"total" jsonschema:"rows over all of them"`
}

// GetRowCounts counts the rows of each table of the dataset.
func GetRowCounts(d *Deps) Tool {
	h := Hints{ReadOnly: yes(), Destructive: no(), Idempotent: yes(), OpenWorld: no()}
	return Tool{
		Hints: h,
		Def: define[GetRowCountsIn, GetRowCountsOut]("get_row_counts",
			"Count the rows of every data table of the dataset (root and child tables; dlt's system tables are left out), and the total.", h),
		Handler: handle(func(ctx context.Context, _ mcp.CallToolRequest, _ GetRowCountsIn) (GetRowCountsOut, string, error) {
			ds, err := d.dataset(ctx)
			if err != nil {
				return GetRowCountsOut{}, "", err
			}
			plan := ds.plan
			rows, err := ds.dest.TableRows(ctx)
			if err != nil {
				return GetRowCountsOut{}, "", err
			}
			out := GetRowCountsOut{Tables: map[string]int64{}}
			var names []string
			for name, n := range rows {
				if systemTable(name) {
					continue
				}
				out.Tables[name] = n
				out.Total += n
				names = append(names, name)
			}
			if len(names) == 0 {
				return GetRowCountsOut{}, "", fmt.Errorf("%w: dataset %s in %s has no tables", dest.ErrNoData, plan.DatasetName, ds.dest.Location())
			}
			slices.Sort(names)
			var b strings.Builder
			fmt.Fprintf(&b, "%d rows in %s:\n", out.Total, plural(len(names), "table"))
			for _, n := range names {
				fmt.Fprintf(&b, "- %s: %d\n", n, out.Tables[n])
			}
			return out, b.String(), nil
		}),
	}
}
