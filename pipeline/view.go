package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
)

// The bounds of a View: the loads and the runs it lists, newest first.
const (
	ViewLoads = 10
	ViewRuns  = 10
)

// View is the pipeline as `status`, the MCP tool pipeline_status and the dashboard's
// overview show it: one read of the config, the destination and the work folder, which
// the three only render, so that their figures agree.
type View struct {
	Pipeline    string   `json:"pipeline_name"`
	Dataset     string   `json:"dataset_name"`
	Destination string   `json:"destination" jsonschema:"type:path of the dataset's database"`
	Config      string   `json:"config"`
	Resources   []string `json:"resources"`
	// Loaded is false until the first load; the figures below are empty then.
	Loaded        bool                         `json:"loaded" jsonschema:"false until the first load"`
	SchemaVersion int                          `json:"schema_version"`
	Loads         []LoadView                   `json:"loads" jsonschema:"the last 10 loads, newest first"`
	RowCounts     map[string]int64             `json:"row_counts" jsonschema:"rows per table of the dataset, system tables included"`
	DataTables    int                          `json:"data_tables" jsonschema:"tables of data (dlt's and the workbench's own left out)"`
	DataRows      int64                        `json:"data_rows" jsonschema:"their rows in all"`
	Cursors       map[string]map[string]string `json:"cursors" jsonschema:"per resource, the incremental cursor field and the last value loaded: the next run reads what is newer"`
	// Runs are the last runs that left a trace, failed ones included.
	Runs []RunView `json:"runs" jsonschema:"the last 10 runs, newest first, failed ones included"`
	*Health
}

// LoadView is one load of _dlt_loads with what its run met.
type LoadView struct {
	LoadID       string           `json:"load_id"`
	Status       string           `json:"status" jsonschema:"loaded; incomplete (loaded, but parts of the workspace were out of reach); or dlt's status number when it is not 0"`
	StartedAt    time.Time        `json:"started_at,omitzero"`
	FinishedAt   time.Time        `json:"finished_at"`
	Seconds      float64          `json:"seconds" jsonschema:"from the run's start to the load's commit; 0 when not known"`
	Records      int64            `json:"records" jsonschema:"records read from Secoda"`
	Requests     int64            `json:"requests"`
	Retries      int64            `json:"retries"`
	RateLimited  int64            `json:"rate_limited" jsonschema:"answers 429 met (each waited out)"`
	ServerErrors int64            `json:"server_errors"`
	Rows         map[string]int64 `json:"rows" jsonschema:"rows loaded per table"`
}

// RunView is one run's trace, in short.
type RunView struct {
	RunID     string    `json:"run_id"`
	StartedAt time.Time `json:"started_at"`
	Outcome   string    `json:"outcome"`
	Seconds   float64   `json:"seconds"`
	Requests  int64     `json:"requests"`
	Error     string    `json:"error,omitempty" jsonschema:"the error's kind and the step it failed at"`
	Next      string    `json:"next,omitempty" jsonschema:"what to do about the error"`
}

// ReadView reads the pipeline of plan in dst; paths are named relative to dir (the
// folder the caller works in). A dataset that does not exist yet is a View with
// Loaded false, not an error.
func ReadView(ctx context.Context, plan *Plan, dst dest.Destination, dir string) (*View, error) {
	v := &View{Pipeline: plan.PipelineName, Dataset: plan.DatasetName, Destination: plan.Destination(dir), Config: named(dir, plan.File),
		Resources: []string{}, Loads: []LoadView{}, RowCounts: map[string]int64{}, Cursors: map[string]map[string]string{}, Runs: []RunView{}}
	for _, r := range plan.Resources {
		v.Resources = append(v.Resources, r.Name)
	}
	traces, err := Traces(plan, ViewRuns)
	if err != nil {
		return nil, err
	}
	for _, t := range traces {
		rv := RunView{RunID: t.RunID, StartedAt: t.StartedAt, Outcome: t.Outcome, Seconds: t.Seconds, Requests: t.Requests}
		if t.Error != nil {
			rv.Error, rv.Next = t.Error.Kind+" at "+t.Error.Step, t.Error.Next
		}
		v.Runs = append(v.Runs, rv)
	}
	stored, err := dst.ReadStored(ctx, plan.PipelineName, plan.SchemaName)
	if err != nil {
		return nil, err
	}
	var state *State
	if stored.Schema != nil {
		if state, err = ParseState(plan, stored.State); err != nil {
			return nil, fmt.Errorf("the stored pipeline state does not parse: %w", err)
		}
	}
	if v.Health, err = ReadHealth(plan, state); err != nil {
		return nil, err
	}
	if stored.Schema == nil {
		return v, nil
	}
	v.Loaded, v.SchemaVersion, v.Cursors = true, stored.Schema.Version, state.Cursors()
	loads, err := dst.Loads(ctx, ViewLoads)
	if err != nil {
		return nil, err
	}
	for _, l := range loads {
		lv := LoadView{LoadID: l.LoadID, Status: "loaded", StartedAt: l.StartedAt.UTC(), FinishedAt: l.InsertedAt.UTC(), Records: l.Records,
			Requests: l.Requests, Retries: l.Retries, RateLimited: l.RateLimited, ServerErrors: l.ServerErrors, Rows: map[string]int64{}}
		switch {
		case l.Status != 0:
			lv.Status = fmt.Sprintf("status %d", l.Status)
		case l.Incomplete:
			lv.Status = OutcomeIncomplete
		}
		if !l.StartedAt.IsZero() {
			lv.Seconds = l.InsertedAt.Sub(l.StartedAt).Seconds()
		}
		_ = json.Unmarshal([]byte(l.RowsJSON), &lv.Rows) // a run log of another version: no rows, not a failure
		v.Loads = append(v.Loads, lv)
	}
	if v.RowCounts, err = dst.TableRows(ctx); err != nil && !errors.Is(err, dest.ErrNoData) {
		return nil, err
	}
	for t, n := range v.RowCounts {
		if !dest.IsSystemTable(t) {
			v.DataTables++
			v.DataRows += n
		}
	}
	return v, nil
}

// named is path relative to dir where it is inside it, else as it is.
func named(dir, path string) string {
	if rel, ok := relativeTo(dir, path); ok {
		return rel
	}
	return path
}
