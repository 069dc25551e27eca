package main

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
)

func newStatusCmd(a *app) *cobra.Command {
	io := a.io
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the pipeline's state: loads, row counts and incremental cursors",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			plan, err := a.loadPlan()
			if err != nil {
				return err
			}
			rep, err := buildStatus(cmd, a, plan)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(io.Out, rep)
			}
			writeStatus(io, rep)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// buildStatus reads the pipeline's View (pipeline.ReadView), which pipeline_status and
// the dashboard's overview render too.
func buildStatus(cmd *cobra.Command, a *app, plan *pipeline.Plan) (*pipeline.View, error) {
	dst, err := a.destination(cmd.Context(), plan)
	if err != nil {
		return nil, err
	}
	return pipeline.ReadView(cmd.Context(), plan, dst, cwd())
}

func writeStatus(io *ioStreams, rep *pipeline.View) {
	fmt.Fprintf(io.Out, "Pipeline %s, dataset %s in %s (config %s)\n", rep.Pipeline, rep.Dataset, rep.Destination, rep.Config)
	for _, l := range rep.Health.Lines() {
		fmt.Fprintln(io.Out, l)
	}
	if len(rep.Runs) > 0 && rep.Runs[0].Error != "" {
		r := rep.Runs[0]
		fmt.Fprintf(io.Out, "The last run (%s, %s) %s: %s. Next: %s. `secoda-workbench trace` shows what it did.\n",
			r.RunID, r.StartedAt.Local().Format("2006-01-02 15:04:05"), strings.ToUpper(r.Outcome), r.Error, r.Next)
	}
	if !rep.Loaded {
		fmt.Fprintln(io.Out, "Nothing loaded yet: run `secoda-workbench run`.")
		return
	}
	fmt.Fprintf(io.Out, "\nLast loads (schema version %d):\n", rep.SchemaVersion)
	tw := tabwriter.NewWriter(io.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  LOAD ID\tSTATUS\tFINISHED\tDURATION\tRECORDS\tREQUESTS\tRETRIES\t429s")
	for _, l := range rep.Loads {
		dur := "-"
		if l.Seconds > 0 {
			dur = time.Duration(l.Seconds * float64(time.Second)).Round(10 * time.Millisecond).String()
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\n", l.LoadID, l.Status, l.FinishedAt.Local().Format("2006-01-02 15:04:05"), dur,
			l.Records, l.Requests, l.Retries, l.RateLimited)
	}
	tw.Flush()
	fmt.Fprintln(io.Out, "\nRow counts:")
	var names []string
	for n := range rep.RowCounts {
		names = append(names, n)
	}
	sort.Strings(names)
	tw = tabwriter.NewWriter(io.Out, 0, 0, 2, ' ', 0)
	for _, n := range names {
		fmt.Fprintf(tw, "  %s\t%d\n", n, rep.RowCounts[n])
	}
	tw.Flush()
	if len(rep.Partitions) > 0 {
		fmt.Fprintln(io.Out, "\nRead past Secoda's cap, in partitions (each with its own cursor):")
		for _, r := range slices.Sorted(maps.Keys(rep.Partitions)) {
			fmt.Fprintf(io.Out, "  %s: %d partitions\n", r, rep.Partitions[r])
		}
	}
	if len(rep.Cursors) > 0 {
		fmt.Fprintln(io.Out, "\nIncremental cursors:")
		var rs []string
		for r := range rep.Cursors {
			rs = append(rs, r)
		}
		sort.Strings(rs)
		for _, r := range rs {
			for f, v := range rep.Cursors[r] {
				fmt.Fprintf(io.Out, "  %s.%s > %s\n", r, f, v)
			}
		}
	}
}
