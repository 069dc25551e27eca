package tools

import (
	"context"
	"errors"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
)

// Bounds of get_run_trace's result: a trace keeps at most 50 retries already; a run of
// many resources, or of many incomplete partitions, is listed in part.
const (
	maxTraceResources  = 50
	maxTraceIncomplete = 20
)

// GetRunTraceIn is get_run_trace's input.
type GetRunTraceIn struct {
	RunID string `json:"run_id,omitempty" jsonschema:"a run's id, or the load id it committed; absent for the last run"`
	List  bool   `json:"list,omitempty" jsonschema:"list the runs that left a trace (newest first, at most 50) instead of showing one"`
}

// RunSummary is one run of a list.
type RunSummary struct {
	RunID     string  `json:"run_id"`
	StartedAt string  `json:"started_at"`
	Outcome   string  `json:"outcome"`
	Seconds   float64 `json:"seconds"`
	Error     string  `json:"error,omitempty" jsonschema:"the error's kind and step, when it failed"`
}

// GetRunTraceOut is get_run_trace's result: one trace, or the list of runs.
type GetRunTraceOut struct {
	Trace     *pipeline.Trace `json:"trace,omitempty"`
	Runs      []RunSummary    `json:"runs,omitempty"`
	Truncated bool            `json:"truncated,omitempty" jsonschema:"resources or partitions were left out of the trace to bound it"`
	Next      string          `json:"next"`
}

// GetRunTrace shows what a run did, a failed one first of all.
func GetRunTrace(d *Deps) Tool {
	h := Hints{ReadOnly: yes(), Destructive: no(), Idempotent: yes(), OpenWorld: no()}
	return Tool{
		Hints: h,
		Def: define[GetRunTraceIn, GetRunTraceOut]("get_run_trace",
			"Show what a run did, whatever its outcome (loaded, unchanged, incomplete, failed, cancelled, or interrupted when it was "+
				"killed): a failed run's error first (its step, kind, the request path, what Secoda said, and the next step), then the "+
				"steps with their times, each resource's pages, records, retries, 429s and time waited, and the retries. The last "+
				"run unless run_id says which; list: true lists the runs. Use it to answer why a run failed or was slow.", h),
		Handler: handle(func(ctx context.Context, _ mcp.CallToolRequest, in GetRunTraceIn) (GetRunTraceOut, string, error) {
			plan, err := d.plan()
			if err != nil {
				return GetRunTraceOut{}, "", err
			}
			if in.List {
				traces, err := pipeline.Traces(plan, 0)
				if err != nil {
					return GetRunTraceOut{}, "", err
				}
				out := GetRunTraceOut{Runs: []RunSummary{}, Next: "get_run_trace with a run_id shows one run; the first is the last run."}
				text := fmt.Sprintf("%d runs left a trace, newest first:\n", len(traces))
				for _, t := range traces {
					s := RunSummary{RunID: t.RunID, StartedAt: t.StartedAt.UTC().Format("2006-01-02T15:04:05Z"), Outcome: t.Outcome, Seconds: t.Seconds}
					if t.Error != nil {
						s.Error = t.Error.Kind + " at " + t.Error.Step
					}
					out.Runs = append(out.Runs, s)
					text += fmt.Sprintf("- %s %s %s %.1f s %s\n", s.RunID, s.StartedAt, s.Outcome, s.Seconds, s.Error)
				}
				return out, text, nil
			}
			if len(in.RunID) > 64 {
				return GetRunTraceOut{}, "", fmt.Errorf("run_id %s: a run id is a load id like 1764612345.123456; list: true lists them", shown(in.RunID))
			}
			t, err := pipeline.FindTrace(plan, in.RunID)
			if errors.Is(err, pipeline.ErrNoTrace) {
				return GetRunTraceOut{}, "", fmt.Errorf("%w yet in this project: call run_pipeline first; its trace then says what happened", pipeline.ErrNoTrace)
			}
			if err != nil {
				return GetRunTraceOut{}, "", err
			}
			out := GetRunTraceOut{Trace: t}
			if len(t.Resources) > maxTraceResources {
				t.Resources, out.Truncated = t.Resources[:maxTraceResources], true
			}
			for i := range t.Resources {
				if r := &t.Resources[i]; len(r.Incomplete) > maxTraceIncomplete {
					r.Incomplete, out.Truncated = r.Incomplete[:maxTraceIncomplete], true
				}
			}
			switch {
			case t.Error != nil:
				out.Next = t.Error.Next + "; then run_pipeline again"
			case t.Outcome == pipeline.OutcomeInterrupted:
				out.Next = "run_pipeline goes on from the last page the run spooled (restart: true starts over)."
			case t.Outcome == pipeline.OutcomeIncomplete:
				out.Next = "Tell the user which partitions could not be read whole (each resource's incomplete says); the rest is loaded."
			default:
				out.Next = "Nothing failed. For a slow run, compare the steps' times and the resources' retries and time waited."
			}
			return out, t.Text(), nil
		}),
	}
}
