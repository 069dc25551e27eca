package tools

import (
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

// TestGetRunTraceExplainsAFailedRunFirst: before any run it says what to do; after a
// run refused for its key, the trace puts the error first with its next step, and the
// list shows it beside the good run; an unknown id names the runs there are.
func TestGetRunTraceExplainsAFailedRunFirst(t *testing.T) {
	f := newFixture(t, simulator.Options{Seed: 4})
	f.config(t, "[resources.collection]\n")
	wantError(t, call(t, GetRunTrace(f.d), nil), "no run has left a trace", "call run_pipeline first")
	right := f.key
	f.env["SECODA_API_KEY"] = right + "-wrong"
	if res := call(t, RunPipeline(f.d), nil); !res.IsError {
		t.Fatal("a wrong key ran")
	}
	var out GetRunTraceOut
	res := call(t, GetRunTrace(f.d), nil)
	structured(t, res, &out)
	if out.Trace == nil || out.Trace.Outcome != pipeline.OutcomeFailed || out.Trace.Error.Kind != "key_rejected" || out.Trace.Error.Step != pipeline.StepExtract ||
		!strings.Contains(out.Next, "secrets") || !strings.Contains(strings.SplitN(text(res), "\n", 3)[1], "Failed at extract: key_rejected") {
		t.Fatalf("the failed run: %+v\n%s", out, text(res))
	}
	if strings.Contains(text(res), right) {
		t.Fatal("the trace shows the key")
	}
	failed := out.Trace.RunID
	f.env["SECODA_API_KEY"] = right
	if res := call(t, RunPipeline(f.d), nil); res.IsError {
		t.Fatal(text(res))
	}
	out = GetRunTraceOut{}
	structured(t, call(t, GetRunTrace(f.d), map[string]any{"list": true}), &out)
	if len(out.Runs) != 2 || out.Runs[0].Outcome != pipeline.OutcomeLoaded || out.Runs[1].RunID != failed || out.Runs[1].Error != "key_rejected at extract" {
		t.Fatalf("the list: %+v", out.Runs)
	}
	out = GetRunTraceOut{}
	structured(t, call(t, GetRunTrace(f.d), map[string]any{"run_id": failed}), &out)
	if out.Trace == nil || out.Trace.RunID != failed {
		t.Fatalf("by id: %+v", out)
	}
	wantError(t, call(t, GetRunTrace(f.d), map[string]any{"run_id": "42"}), "no trace of run", failed)
	wantError(t, call(t, GetRunTrace(f.d), map[string]any{"run_id": strings.Repeat("9", 100)}), "list: true")
}
