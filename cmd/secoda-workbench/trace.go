package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
)

func newTraceCmd(a *app) *cobra.Command {
	streams := a.io
	var asJSON, last, list bool
	cmd := &cobra.Command{
		Use:   "trace [RUN_ID]",
		Short: "Show what a run did, failed ones included: its error and next step, steps, resources and retries",
		Long: "Show the trace of a run: every run leaves one in .secoda-workbench/traces, whatever its outcome (loaded,\n" +
			"unchanged, incomplete, failed, cancelled, or interrupted when it was killed), the last " + fmt.Sprint(pipeline.TracesKept) + " kept.\n" +
			"A failed run's error comes first: its step, its kind, the request and what Secoda said, and the next step.\n" +
			"RUN_ID is a run's id or its load id; with none (or --last), the last run. No key or password is in a trace.",
		Example: "  secoda-workbench trace\n  secoda-workbench trace --list\n  secoda-workbench trace 1764612345.123456 --json",
		Args:    usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if last && len(args) > 0 {
				return usagef(cmd, "give a RUN_ID or --last, not both")
			}
			plan, err := a.loadPlan()
			if err != nil {
				return err
			}
			if list {
				traces, err := pipeline.Traces(plan, 0)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(streams.Out, traces)
				}
				if len(traces) == 0 {
					fmt.Fprintln(streams.Out, "No run has left a trace yet: run `secoda-workbench run`.")
					return nil
				}
				tw := tabwriter.NewWriter(streams.Out, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "RUN\tSTARTED\tOUTCOME\tSECONDS\tREQUESTS\tERROR")
				for _, t := range traces {
					kind := ""
					if t.Error != nil {
						kind = t.Error.Kind + " at " + t.Error.Step
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%.1f\t%d\t%s\n", t.RunID, t.StartedAt.Local().Format("2006-01-02 15:04:05"), t.Outcome, t.Seconds, t.Requests, kind)
				}
				return tw.Flush()
			}
			id := ""
			if len(args) == 1 {
				id = args[0]
			}
			t, err := pipeline.FindTrace(plan, id)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(streams.Out, t)
			}
			_, err = fmt.Fprint(streams.Out, t.Text())
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the trace as JSON")
	cmd.Flags().BoolVar(&last, "last", false, "the last run's trace (the default)")
	cmd.Flags().BoolVar(&list, "list", false, "list the runs that left a trace, newest first")
	return cmd
}
