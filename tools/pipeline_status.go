package tools

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
)

// PipelineStatusIn is pipeline_status' input: none.
type PipelineStatusIn struct{}

// PipelineStatusOut is pipeline_status' result: the pipeline's View, which `status`
// and the dashboard's overview render too, and the next step.
type PipelineStatusOut struct {
	pipeline.View
	Next string `json:"next"`
}

// PipelineStatus reports the pipeline's state: loads, row counts, incremental cursors.
func PipelineStatus(d *Deps) Tool {
	h := Hints{ReadOnly: yes(), Destructive: no(), Idempotent: yes(), OpenWorld: no()}
	return Tool{
		Hints: h,
		Def: define[PipelineStatusIn, PipelineStatusOut]("pipeline_status",
			"The pipeline's state, as `secoda-workbench status` shows it: pipeline, dataset, destination, resources, the last 10 "+
				"loads (records, requests, retries, 429s), row counts per table, the incremental cursors and the schema version. "+
				"Reads the dataset only; says so when nothing is loaded yet.", h),
		Handler: handle(func(ctx context.Context, _ mcp.CallToolRequest, _ PipelineStatusIn) (PipelineStatusOut, string, error) {
			ds, err := d.dataset(ctx)
			if err != nil {
				return PipelineStatusOut{}, "", err
			}
			out, err := pipelineStatus(ctx, d, ds)
			if err != nil {
				return PipelineStatusOut{}, "", err
			}
			return out, statusText(out), nil
		}),
	}
}

func pipelineStatus(ctx context.Context, d *Deps, ds *dataset) (PipelineStatusOut, error) {
	v, err := pipeline.ReadView(ctx, ds.plan, ds.dest, d.Dir)
	if err != nil {
		return PipelineStatusOut{}, err
	}
	out := PipelineStatusOut{View: *v}
	switch {
	case len(out.Runs) > 0 && out.Runs[0].Error != "":
		out.Next = fmt.Sprintf("The last run failed (%s): get_run_trace shows why; %s.", out.Runs[0].Error, out.Runs[0].Next)
		if out.Unfinished != nil {
			out.Next += " Its pages are kept: run_pipeline goes on from them."
		}
	case out.Unfinished != nil:
		out.Next = out.Unfinished.Next
	case !out.Loaded:
		out.Next = "Nothing loaded yet: call run_pipeline (max_pages: 1 first, to check the data), then run_pipeline in full."
	case len(out.Incomplete) > 0:
		out.Next = "The data is incomplete (see incomplete): tell the user which partitions could not be read and what they can do; " +
			"the rest can be queried with query_dataset."
	default:
		out.Next = "Query the data: list_tables, get_table_schema, query_dataset; run_pipeline again loads what changed since."
	}
	return out, nil
}

func statusText(out PipelineStatusOut) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Pipeline %s, dataset %s in %s (config %s), resources %s.\n", out.Pipeline, out.Dataset, out.Destination, out.Config,
		strings.Join(out.Resources, ", "))
	for _, l := range out.Health.Lines() {
		b.WriteString(l + "\n")
	}
	if len(out.Runs) > 0 && out.Runs[0].Error != "" {
		fmt.Fprintf(&b, "The last run (%s) %s: %s.\n", out.Runs[0].RunID, strings.ToUpper(out.Runs[0].Outcome), out.Runs[0].Error)
	}
	if !out.Loaded {
		b.WriteString(out.Next + "\n")
		return b.String()
	}
	fmt.Fprintf(&b, "\nLast loads (schema version %d):\n\n| load id | status | finished | duration | records | requests | retries | 429s |\n|---|---|---|---|---|---|---|---|\n", out.SchemaVersion)
	for _, l := range out.Loads {
		dur := "-"
		if l.Seconds > 0 {
			dur = time.Duration(l.Seconds * float64(time.Second)).Round(10 * time.Millisecond).String()
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %d | %d | %d |\n", l.LoadID, l.Status, l.FinishedAt.Format(time.RFC3339), dur,
			l.Records, l.Requests, l.Retries, l.RateLimited)
	}
	b.WriteString("\nRow counts:\n")
	names := make([]string, 0, len(out.RowCounts))
	for n := range out.RowCounts {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(&b, "- %s: %d\n", n, out.RowCounts[n])
	}
	if len(out.Cursors) > 0 {
		b.WriteString("\nIncremental cursors (the next run reads what is newer):\n")
		resources := make([]string, 0, len(out.Cursors))
		for r := range out.Cursors {
			resources = append(resources, r)
		}
		slices.Sort(resources)
		for _, r := range resources {
			fields := make([]string, 0, len(out.Cursors[r]))
			for f := range out.Cursors[r] {
				fields = append(fields, f)
			}
			slices.Sort(fields)
			for _, f := range fields {
				fmt.Fprintf(&b, "- %s.%s > %s\n", r, f, out.Cursors[r][f])
			}
		}
	}
	b.WriteString("\nNext: " + out.Next + "\n")
	return b.String()
}
