package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/secoda-workbench/secoda-workbench/notify"
	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/postgres"
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
			plan, err := a.loadPlan()
			if err != nil {
				return err
			}
			fmt.Fprintf(io.Out, "%s is valid: pipeline %s, dataset %s, %s\n", relPath(plan.File), plan.PipelineName, plan.DatasetName, plan.Destination(cwd()))
			for _, r := range plan.Resources {
				cursor := "full load"
				if r.Cursor != "" {
					cursor = "incremental on " + r.Cursor
				}
				fmt.Fprintf(io.Out, "  %-20s %s, %s, %s\n", r.Name, r.Endpoint.Path, r.Disposition, cursor)
			}
			if n := plan.Notify; n != nil {
				var on []string
				for _, e := range notify.Events {
					if n.On[e] {
						on = append(on, e)
					}
				}
				fmt.Fprintf(io.Out, "  notify: %s on %s", n.Format, strings.Join(on, ", "))
				if found, err := a.finder().FindNotifyURL(cmd.Context(), plan.PipelineName); err != nil {
					fmt.Fprintf(io.Out, "; %v\n", err)
				} else {
					a.redactor.Add(found.Key.Reveal())
					fmt.Fprintf(io.Out, "; the webhook URL is in %s\n", found.Where)
				}
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
			switch {
			case plan.DestinationType == dest.Postgres:
				return a.checkPostgres(cmd.Context(), plan)
			case plan.IsBucket():
				return a.checkBucket(cmd.Context(), plan)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&check, "check-connection", false, "also read one page from Secoda with the key (and log in to a PostgreSQL destination, or write, read and delete a test object in a bucket)")
	return cmd
}

// checkPostgres logs in to the destination and says what a load needs that is missing.
func (a *app) checkPostgres(ctx context.Context, plan *pipeline.Plan) error {
	pw, err := a.destinationPassword(ctx, plan)
	if err != nil {
		return err
	}
	c, err := postgres.New(plan.DestinationURL, pw, plan.DatasetName).Check(ctx)
	if err != nil {
		return fmt.Errorf("the destination check failed: %w", err)
	}
	fmt.Fprintf(a.io.Out, "Connected to %s: PostgreSQL %s as %s.\n", plan.DestinationLocation(), c.Version, c.Role)
	if !c.CanLoad {
		return fmt.Errorf("%s may not create the schema %s (or tables in it): `GRANT CREATE ON DATABASE ... TO %s`, or create the schema and grant CREATE on it",
			c.Role, plan.DatasetName, c.Role)
	}
	if c.Superuser {
		fmt.Fprintf(a.io.ErrOut, "warning: %s is a superuser. Queries from agents run in READ ONLY transactions, but a superuser can read the server's files "+
			"with functions like pg_read_file; load with a role that owns only its database\n", c.Role)
	}
	return nil
}

// checkBucket reaches the destination's bucket and writes, reads and deletes a test
// object there: what a load needs.
func (a *app) checkBucket(ctx context.Context, plan *pipeline.Plan) error {
	pw, err := a.destinationPassword(ctx, plan)
	if err != nil {
		return err
	}
	c := pipeline.CheckBucket(ctx, plan, pw)
	if c.Err != nil {
		return fmt.Errorf("the destination check failed: %w", c.Err)
	}
	fmt.Fprintf(a.io.Out, "Reached %s with %s: a test object was written, read and deleted.\n", plan.DestinationLocation(), c.Credentials)
	return nil
}
