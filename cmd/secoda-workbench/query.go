package main

import (
	"fmt"

	"github.com/secoda-workbench/secoda-workbench/internal/table"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"

	"github.com/spf13/cobra"
)

func newQueryCmd(a *app) *cobra.Command {
	io := a.io
	var (
		format string
		limit  int
	)
	cmd := &cobra.Command{
		Use:   "query SQL",
		Short: "Run read-only SQL against the dataset",
		Long: "Run SQL against the dataset, read-only: the file is opened read-only with external access off, so\n" +
			"writes, COPY, ATTACH, INSTALL and file readers fail. Tables resolve in the dataset without a schema prefix.",
		Example: `  secoda-workbench query "select type, count(*) from resource_catalog group by type"`,
		Args:    usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch format {
			case "table", "json", "csv":
			default:
				return usagef(cmd, "--format %q: use table, json or csv", format)
			}
			if limit < 1 || limit > dest.MaxRows {
				return usagef(cmd, "--limit %d: give 1 to %d", limit, dest.MaxRows)
			}
			plan, err := a.loadPlan()
			if err != nil {
				return err
			}
			dst, err := a.destination(cmd.Context(), plan)
			if err != nil {
				return err
			}
			res, err := dst.Query(cmd.Context(), args[0], dest.Bounds{Rows: limit, CellBytes: dest.WidestBounds.CellBytes, Bytes: dest.WidestBounds.Bytes})
			if err != nil {
				return err
			}
			if err := table.Write(io.Out, res, format); err != nil {
				return err
			}
			switch {
			case res.Truncated && len(res.Rows) < limit:
				fmt.Fprintf(io.ErrOut, "(the first %d rows, %d MB in all; there are more: select fewer columns, or page with LIMIT and OFFSET)\n", len(res.Rows), dest.MaxBytes>>20)
			case res.Truncated:
				fmt.Fprintf(io.ErrOut, "(the first %d rows; raise --limit for more)\n", limit)
			}
			if res.CutCells > 0 {
				fmt.Fprintf(io.ErrOut, "(%d cells were cut at %d MB; they end in %s)\n", res.CutCells, dest.MaxCellBytes>>20, dest.CutMark)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, json or csv")
	cmd.Flags().IntVar(&limit, "limit", 100, fmt.Sprintf("the most rows to print (1 to %d)", dest.MaxRows))
	return cmd
}
