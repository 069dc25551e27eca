package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/secoda-workbench/secoda-workbench/secoda"
)

func newValidateCmd(a *app) *cobra.Command {
	io := a.io
	var check bool
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check secoda_pipeline.toml (and, with --check-connection, the key against Secoda)",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			plan, err := loadPlan()
			if err != nil {
				return err
			}
			fmt.Fprintf(io.Out, "%s is valid: pipeline %s, dataset %s, %s at %s\n", relPath(plan.File), plan.PipelineName, plan.DatasetName,
				plan.DestinationType, relPath(plan.DestinationPath))
			for _, r := range plan.Resources {
				cursor := "full load"
				if r.Cursor != "" {
					cursor = "incremental on " + r.Cursor
				}
				fmt.Fprintf(io.Out, "  %-20s %s, %s, %s\n", r.Name, r.Endpoint.Path, r.Disposition, cursor)
			}
			if !check {
				return nil
			}
			key, base, err := a.connection(cmd.Context(), plan)
			if err != nil {
				return err
			}
			c, err := secoda.New(secoda.Config{BaseURL: base, APIKey: key, RequestsPerMinute: -1, MaxAttempts: 2})
			if err != nil {
				return err
			}
			// The first page of the first list resource: a real, authenticated read.
			r := plan.Resources[0]
			if r.Endpoint.Parent != "" {
				r.Endpoint, _ = secoda.LookupEndpoint(r.Endpoint.Parent)
			}
			start := time.Now()
			for page, err := range c.Pages(cmd.Context(), secoda.PageQuery{Path: r.Endpoint.Path, Selector: r.Endpoint.Selector}) {
				if err != nil {
					return fmt.Errorf("the connection check failed: %w", err)
				}
				fmt.Fprintf(io.Out, "Connected to %s: %s answered %d records in %s", c.Host(), r.Endpoint.Path, len(page.Records), time.Since(start).Round(time.Millisecond))
				if page.Count >= 0 {
					fmt.Fprintf(io.Out, " (%d in all)", page.Count)
				}
				fmt.Fprintln(io.Out)
				break
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&check, "check-connection", false, "also read one page from Secoda with the key")
	return cmd
}
