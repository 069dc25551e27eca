package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
)

func newRunCmd(a *app) *cobra.Command {
	io := a.io
	var (
		resources   []string
		maxPages    int
		fullRefresh bool
		restart     bool
		asJSON      bool
	)
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Load the configured resources into the dataset",
		Long: "Extract the resources of secoda_pipeline.toml from Secoda, normalize them into dlt's table layout and\n" +
			"load them into the dataset in one transaction, incrementally where a cursor is configured.\n" +
			"Develop with --max-pages, then run in full. An interrupted run (killed, cancelled, failed) leaves what it\n" +
			"read in the work folder: the next run goes on from there, --restart discards it.\n\n" +
			"Exit status: 0 loaded (or nothing new), 1 failed, 2 bad usage, 3 loaded but incomplete (parts of the\n" +
			"workspace that no query could reach under Secoda's cap; the output names them and what to do).",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := pipeline.LimitMaxPages.CheckNumber("--max-pages", maxPages); err != nil {
				return usagef(cmd, "%v", err)
			}
			plan, err := a.loadPlan()
			if err != nil {
				return err
			}
			key, base, err := a.connection(cmd.Context(), plan)
			if err != nil {
				return err
			}
			password, err := a.destinationPassword(cmd.Context(), plan)
			if err != nil {
				return err
			}
			prog := newProgressPrinter(io)
			info, err := pipeline.Run(cmd.Context(), plan, pipeline.RunOptions{
				APIKey: key, BaseURL: base, Resources: splitList(resources), MaxPages: maxPages,
				FullRefresh: fullRefresh, Restart: restart, Progress: prog.update, DestinationPassword: password,
			})
			prog.finish()
			if err != nil {
				return err
			}
			if asJSON {
				err = writeJSON(io.Out, info)
			} else {
				_, err = io.Out.Write([]byte(info.String()))
			}
			if err == nil && len(info.Incomplete()) > 0 {
				return errIncomplete
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&resources, "resources", nil, "load only these resources (comma-separated)")
	fl.IntVar(&maxPages, "max-pages", 0, "stop each resource after N pages (for development; cursors are not moved): "+pipeline.LimitMaxPages.Range())
	fl.BoolVar(&fullRefresh, "full-refresh", false, "drop the selected resources' tables and state first")
	fl.BoolVar(&restart, "restart", false, "discard what an interrupted run had read, instead of going on from it")
	fl.BoolVar(&asJSON, "json", false, "print the load info as JSON")
	return cmd
}

// splitList accepts a,b and a b and repeated flags alike.
func splitList(in []string) []string {
	var out []string
	for _, s := range in {
		for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
			out = append(out, p)
		}
	}
	return out
}
