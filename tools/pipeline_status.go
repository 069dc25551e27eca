package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/partition"
)

// StatusLoads is how many of the last loads pipeline_status lists.
const StatusLoads = 10

// PipelineStatusIn is pipeline_status' input: none.
type PipelineStatusIn struct{}

// LoadSummary is one load of _dlt_loads with what its run met.
type LoadSummary struct {
	LoadID       string           `json:"load_id"`
	Status       string           `json:"status" jsonschema:"loaded, or dlt's status number when it is not 0"`
	StartedAt    time.Time        `json:"started_at,omitzero"`
	FinishedAt   time.Time        `json:"finished_at"`
	Records      int64            `json:"records" jsonschema:"records read from Secoda"`
	Requests     int64            `json:"requests"`
	Retries      int64            `json:"retries"`
	RateLimited  int64            `json:"rate_limited" jsonschema:"answers 429 met (each waited out)"`
	ServerErrors int64            `json:"server_errors"`
	Rows         map[string]int64 `json:"rows" jsonschema:"rows loaded per table"`
}

// PipelineStatusOut is pipeline_status' result.
type PipelineStatusOut struct {
	Pipeline      string                       `json:"pipeline_name"`
	Dataset       string                       `json:"dataset_name"`
	Destination   string                       `json:"destination" jsonschema:"type:path of the dataset's database"`
	Config        string                       `json:"config"`
	Resources     []string                     `json:"resources"`
	Loaded        bool                         `json:"loaded" jsonschema:"false until the first run_pipeline loads"`
	Loads         []LoadSummary                `json:"loads" jsonschema:"the last 10 loads, newest first"`
	RowCounts     map[string]int64             `json:"row_counts" jsonschema:"rows per table of the dataset, system tables included"`
	Cursors       map[string]map[string]string `json:"cursors" jsonschema:"per resource, the incremental cursor field and the last value loaded: the next run reads what is newer"`
	SchemaVersion int                          `json:"schema_version"`
	// What the loads alone do not tell.
	Unfinished *pipeline.UnfinishedRun           `json:"unfinished,omitempty" jsonschema:"a run in progress, or an interrupted one that the next run_pipeline goes on with (restart: true discards it)"`
	Incomplete map[string][]partition.Incomplete `json:"incomplete,omitempty" jsonschema:"per resource, partitions the last load could not read whole (past Secoda's cap even when split): loaded as far as Secoda answers"`
	Partitions map[string]int                    `json:"partitions,omitempty" jsonschema:"per resource read past Secoda's 10,000-resource cap, how many partitions its list is read in"`
	Next       string                            `json:"next"`
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
	plan := ds.plan
	out := PipelineStatusOut{Pipeline: plan.PipelineName, Dataset: plan.DatasetName,
		Destination: plan.Destination(d.Dir), Config: relTo(d.Dir, plan.File),
		Resources: []string{}, Loads: []LoadSummary{}, RowCounts: map[string]int64{}, Cursors: map[string]map[string]string{}}
	for _, r := range plan.Resources {
		out.Resources = append(out.Resources, r.Name)
	}
	dst := ds.dest
	stored, err := dst.ReadStored(ctx, plan.PipelineName)
	if err != nil {
		return out, err
	}
	var state *pipeline.State
	if stored.Schema != nil {
		if state, err = pipeline.ParseState(plan, stored.State); err != nil {
			return out, fmt.Errorf("the stored pipeline state does not parse: %w", err)
		}
	}
	health, err := pipeline.ReadHealth(plan, state)
	if err != nil {
		return out, err
	}
	out.Unfinished, out.Incomplete, out.Partitions = health.Unfinished, health.Incomplete, health.Partitions
	if stored.Schema == nil {
		out.Next = "Nothing loaded yet: call run_pipeline (max_pages: 1 first, to check the data), then run_pipeline in full."
		if out.Unfinished != nil {
			out.Next = out.Unfinished.Next
		}
		return out, nil
	}
	out.Loaded = true
	out.SchemaVersion = stored.Schema.Version
	out.Cursors = state.Cursors()
	loads, err := dst.Loads(ctx, StatusLoads)
	if err != nil {
		return out, err
	}
	for _, l := range loads {
		st := "loaded"
		if l.Status != 0 {
			st = fmt.Sprintf("status %d", l.Status)
		}
		rows := map[string]int64{}
		_ = json.Unmarshal([]byte(l.RowsJSON), &rows) // a run log from another version: no rows, not a failure
		out.Loads = append(out.Loads, LoadSummary{LoadID: l.LoadID, Status: st, StartedAt: l.StartedAt.UTC(), FinishedAt: l.InsertedAt.UTC(),
			Records: l.Records, Requests: l.Requests, Retries: l.Retries, RateLimited: l.RateLimited, ServerErrors: l.ServerErrors, Rows: rows})
	}
	if out.RowCounts, err = dst.TableRows(ctx); err != nil {
		return out, err
	}
	out.Next = "Query the data: list_tables, get_table_schema, query_dataset; run_pipeline again loads what changed since."
	switch {
	case out.Unfinished != nil:
		out.Next = out.Unfinished.Next
	case len(out.Incomplete) > 0:
		out.Next = "The data is incomplete (see incomplete): tell the user which partitions could not be read and what they can do; " +
			"the rest can be queried with query_dataset."
	}
	return out, nil
}

func statusText(out PipelineStatusOut) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Pipeline %s, dataset %s in %s (config %s), resources %s.\n", out.Pipeline, out.Dataset, out.Destination, out.Config,
		strings.Join(out.Resources, ", "))
	for _, l := range (&pipeline.Health{Unfinished: out.Unfinished, Incomplete: out.Incomplete}).Lines() {
		b.WriteString(l + "\n")
	}
	if !out.Loaded {
		b.WriteString(out.Next + "\n")
		return b.String()
	}
	fmt.Fprintf(&b, "\nLast loads (schema version %d):\n\n| load id | status | finished | duration | records | requests | retries | 429s |\n|---|---|---|---|---|---|---|---|\n", out.SchemaVersion)
	for _, l := range out.Loads {
		dur := "-"
		if !l.StartedAt.IsZero() {
			dur = l.FinishedAt.Sub(l.StartedAt).Round(10 * time.Millisecond).String()
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
