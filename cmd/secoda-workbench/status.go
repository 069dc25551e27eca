package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
)

// statusReport is what `status` shows.
type statusReport struct {
	Pipeline    string                       `json:"pipeline_name"`
	Dataset     string                       `json:"dataset_name"`
	Destination string                       `json:"destination"`
	Config      string                       `json:"config"`
	Resources   []string                     `json:"resources"`
	Loaded      bool                         `json:"loaded"`
	Loads       []loadReport                 `json:"loads"`
	Tables      map[string]int64             `json:"row_counts"`
	Cursors     map[string]map[string]string `json:"cursors"`
	SchemaVer   int                          `json:"schema_version"`
	*pipeline.Health
}

type loadReport struct {
	LoadID       string          `json:"load_id"`
	Status       string          `json:"status"`
	StartedAt    time.Time       `json:"started_at,omitzero"`
	FinishedAt   time.Time       `json:"finished_at"`
	Records      int64           `json:"records"`
	Requests     int64           `json:"requests"`
	Retries      int64           `json:"retries"`
	RateLimited  int64           `json:"rate_limited"`
	ServerErrors int64           `json:"server_errors"`
	Rows         json.RawMessage `json:"rows"`
}

func newStatusCmd(a *app) *cobra.Command {
	io := a.io
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the pipeline's state: loads, row counts and incremental cursors",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			plan, err := loadPlan()
			if err != nil {
				return err
			}
			rep, err := buildStatus(cmd, a, plan)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(io.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			writeStatus(io, rep)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func buildStatus(cmd *cobra.Command, a *app, plan *pipeline.Plan) (*statusReport, error) {
	ctx := cmd.Context()
	dst, err := a.destination(ctx, plan)
	if err != nil {
		return nil, err
	}
	rep := &statusReport{Pipeline: plan.PipelineName, Dataset: plan.DatasetName, Destination: plan.Destination(cwd()),
		Config: relPath(plan.File), Tables: map[string]int64{}, Cursors: map[string]map[string]string{}}
	for _, r := range plan.Resources {
		rep.Resources = append(rep.Resources, r.Name)
	}
	stored, err := dst.ReadStored(ctx, plan.PipelineName)
	if err != nil {
		return nil, err
	}
	var state *pipeline.State
	if stored.Schema != nil {
		if state, err = pipeline.ParseState(plan, stored.State); err != nil {
			return nil, err
		}
	}
	if rep.Health, err = pipeline.ReadHealth(plan, state); err != nil {
		return nil, err
	}
	if stored.Schema == nil {
		return rep, nil
	}
	rep.Loaded = true
	rep.SchemaVer = stored.Schema.Version
	rep.Cursors = state.Cursors()
	loads, err := dst.Loads(ctx, 10)
	if err != nil {
		return nil, err
	}
	for _, l := range loads {
		st := "loaded"
		if l.Status != 0 {
			st = fmt.Sprintf("status %d", l.Status)
		}
		rep.Loads = append(rep.Loads, loadReport{LoadID: l.LoadID, Status: st, StartedAt: l.StartedAt, FinishedAt: l.InsertedAt,
			Records: l.Records, Requests: l.Requests, Retries: l.Retries, RateLimited: l.RateLimited, ServerErrors: l.ServerErrors,
			Rows: json.RawMessage(l.RowsJSON)})
	}
	if rep.Tables, err = dst.TableRows(ctx); err != nil && !errors.Is(err, dest.ErrNoData) {
		return nil, err
	}
	return rep, nil
}

func writeStatus(io *ioStreams, rep *statusReport) {
	fmt.Fprintf(io.Out, "Pipeline %s, dataset %s in %s (config %s)\n", rep.Pipeline, rep.Dataset, rep.Destination, rep.Config)
	for _, l := range rep.Health.Lines() {
		fmt.Fprintln(io.Out, l)
	}
	if !rep.Loaded {
		fmt.Fprintln(io.Out, "Nothing loaded yet: run `secoda-workbench run`.")
		return
	}
	fmt.Fprintf(io.Out, "\nLast loads (schema version %d):\n", rep.SchemaVer)
	tw := tabwriter.NewWriter(io.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  LOAD ID\tSTATUS\tFINISHED\tDURATION\tRECORDS\tREQUESTS\tRETRIES\t429s")
	for _, l := range rep.Loads {
		dur := "-"
		if !l.StartedAt.IsZero() {
			dur = l.FinishedAt.Sub(l.StartedAt).Round(10 * time.Millisecond).String()
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\n", l.LoadID, l.Status, l.FinishedAt.Local().Format("2006-01-02 15:04:05"), dur,
			l.Records, l.Requests, l.Retries, l.RateLimited)
	}
	tw.Flush()
	fmt.Fprintln(io.Out, "\nRow counts:")
	var names []string
	for n := range rep.Tables {
		names = append(names, n)
	}
	sort.Strings(names)
	tw = tabwriter.NewWriter(io.Out, 0, 0, 2, ' ', 0)
	for _, n := range names {
		fmt.Fprintf(tw, "  %s\t%d\n", n, rep.Tables[n])
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
