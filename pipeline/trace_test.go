package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

// traceFiles are the files of the project's traces folder, read whole.
func traceFiles(t *testing.T, p *project) map[string]string {
	t.Helper()
	dir := filepath.Join(p.dir, pipeline.WorkDirName, pipeline.TracesDirName)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

// TestALoadedRunLeavesItsTraceAndItsRowKeepsIt: the trace has the steps, the
// resources with their pages and records, the config's hash and the version; the run's
// row in _workbench_runs keeps it too.
func TestALoadedRunLeavesItsTraceAndItsRowKeepsIt(t *testing.T) {
	p := newProject(t, simulator.Options{Seed: 3}, "[resources.collection]\n[resources.integration]\n")
	info := p.run(t, pipeline.RunOptions{})
	tr, err := pipeline.FindTrace(p.plan, "")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Outcome != pipeline.OutcomeLoaded || tr.LoadID != info.LoadID || tr.Error != nil || len(tr.ConfigHash) != 12 || tr.Version == "" ||
		tr.Requests != info.Requests || tr.FinishedAt.Before(tr.StartedAt) {
		t.Fatalf("the trace: %+v", tr)
	}
	steps := map[string]bool{}
	for _, s := range tr.Steps {
		steps[s.Name] = true
	}
	for _, want := range []string{pipeline.StepPrepare, pipeline.StepExtract, pipeline.StepNormalize, pipeline.StepLoad} {
		if !steps[want] {
			t.Errorf("no step %s in %+v", want, tr.Steps)
		}
	}
	if len(tr.Resources) != 2 || tr.Resources[0].Name != "collection" || tr.Resources[0].Pages == 0 || tr.Resources[0].Records != info.Resources[0].Records || !tr.Resources[0].Done {
		t.Fatalf("resources: %+v", tr.Resources)
	}
	res, err := p.dest().Query(context.Background(), "SELECT CAST(trace AS VARCHAR) FROM _workbench_runs WHERE load_id = '"+info.LoadID+"'", dest.Rows(1))
	if err != nil || len(res.Rows) != 1 {
		t.Fatalf("the run's row: %+v %v", res, err)
	}
	var kept pipeline.Trace
	if err := json.Unmarshal([]byte(res.Rows[0][0].(string)), &kept); err != nil || kept.Outcome != pipeline.OutcomeLoaded || kept.RunID != tr.RunID {
		t.Fatalf("the row's trace: %+v %v", kept, err)
	}
	// An unchanged second run leaves its own trace.
	p.run(t, pipeline.RunOptions{})
	traces, err := pipeline.Traces(p.plan, 0)
	if err != nil || len(traces) != 2 || traces[0].Outcome != pipeline.OutcomeUnchanged || traces[1].RunID != tr.RunID {
		t.Fatalf("two runs: %+v %v", traces, err)
	}
	if newest, err := pipeline.Traces(p.plan, 1); err != nil || len(newest) != 1 || newest[0].RunID != traces[0].RunID {
		t.Fatalf("the newest run: %+v %v", newest, err)
	}
}

// TestAFailedRunIsExplainedAndItsTraceHoldsNoSecret: a key the server refuses, a
// server whose message echoes the key, a URL that carries it (a param configured by
// mistake) and a destination password: the trace says the kind, the step, the path,
// Secoda's words and the next step, and holds neither secret.
func TestAFailedRunIsExplainedAndItsTraceHoldsNoSecret(t *testing.T) {
	p := newProject(t, simulator.Options{Seed: 3}, "[resources.collection]\n")
	password := newKey(t)

	// Refused: a key Secoda does not know.
	right := p.key
	p.key = newKey(t)
	if _, err := p.tryRun(pipeline.RunOptions{DestinationPassword: password}); err == nil {
		t.Fatal("a wrong key ran")
	}
	tr, err := pipeline.FindTrace(p.plan, "")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Outcome != pipeline.OutcomeFailed || tr.Error == nil || tr.Error.Kind != "key_rejected" || tr.Error.Step != pipeline.StepExtract ||
		tr.Error.Status != 401 || !strings.Contains(tr.Error.Path, "collection") || !strings.Contains(tr.Error.Next, "secrets") {
		t.Fatalf("the trace of a refused key: %+v %+v", tr, tr.Error)
	}
	wrong := p.key
	p.key = right

	// A server that echoes the key in its message, asked at a URL that carries it.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"detail": "no such filter for %s (you sent %s)"}`, r.Header.Get("Authorization"), r.URL.RawQuery)
	}))
	t.Cleanup(echo.Close)
	p.writeConfig(t, fmt.Sprintf("[source]\nbase_url = %q\nrate_limit = 0\n\n[resources.collection]\nparams = { title = %q }\n", echo.URL+"/api/v1", p.key))
	if _, err := p.tryRun(pipeline.RunOptions{DestinationPassword: password}); err == nil {
		t.Fatal("a refused request ran")
	}
	tr, err = pipeline.FindTrace(p.plan, "")
	if err != nil || tr.Error == nil || tr.Error.Kind != "bad_request" || tr.Error.Status != 400 || !strings.Contains(tr.Error.Detail, "no such filter") {
		t.Fatalf("the trace of a refused request: %+v %v", tr, err)
	}
	for name, text := range traceFiles(t, p) {
		for _, secret := range []string{right, wrong, password} {
			if strings.Contains(text, secret) {
				t.Fatalf("%s holds a secret:\n%s", name, text)
			}
		}
	}
	if !strings.Contains(strings.Join(mapValues(traceFiles(t, p)), ""), "[REDACTED]") {
		t.Fatal("nothing was redacted: the echo never reached a trace")
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// TestACancelledRunAndAKilledOne: a cancelled run's trace says so; a trace left running
// by a run that no longer holds the lock (killed) reads as interrupted.
func TestACancelledRunAndAKilledOne(t *testing.T) {
	p := newProject(t, simulator.Options{Seed: 3}, "[resources.resource_catalog]\n")
	ctx, cancel := context.WithCancel(context.Background())
	_, err := pipeline.Run(ctx, p.plan, pipeline.RunOptions{APIKey: p.key, BaseBackoff: time.Millisecond, Progress: func(pr pipeline.Progress) {
		if pr.Retry == nil && pr.Pages >= 2 {
			cancel()
		}
	}})
	if err == nil {
		t.Fatal("the run was not cancelled")
	}
	tr, ferr := pipeline.FindTrace(p.plan, "")
	if ferr != nil || tr.Outcome != pipeline.OutcomeCancelled || tr.Error == nil || tr.Error.Kind != "cancelled" || tr.Resources[0].Pages < 2 || tr.Requests < 2 {
		t.Fatalf("a cancelled run: %+v %v (%v)", tr, ferr, err)
	}
	killed := *tr
	killed.RunID, killed.Outcome, killed.Error = "1000000000.000001", pipeline.OutcomeRunning, nil
	b, _ := json.Marshal(killed)
	if err := os.WriteFile(filepath.Join(p.dir, pipeline.WorkDirName, pipeline.TracesDirName, killed.RunID+".json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := pipeline.FindTrace(p.plan, killed.RunID)
	if err != nil || got.Outcome != pipeline.OutcomeInterrupted {
		t.Fatalf("a killed run's trace: %+v %v", got, err)
	}
	if _, err := pipeline.FindTrace(p.plan, "42"); err == nil || !strings.Contains(err.Error(), tr.RunID) {
		t.Fatalf("an unknown run: %v", err)
	}
}

// TestTracesAreBounded: the oldest go past TracesKept.
func TestTracesAreBounded(t *testing.T) {
	p := newProject(t, simulator.Options{Seed: 3}, "[resources.integration]\n")
	p.run(t, pipeline.RunOptions{})
	dir := filepath.Join(p.dir, pipeline.WorkDirName, pipeline.TracesDirName)
	for i := range pipeline.TracesKept + 5 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("1000000000.%06d.json", i)), []byte(`{"run_id": "old"}`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p.run(t, pipeline.RunOptions{})
	files := traceFiles(t, p)
	if len(files) != pipeline.TracesKept {
		t.Fatalf("%d traces kept", len(files))
	}
	if _, ok := files["1000000000.000000.json"]; ok {
		t.Fatal("the oldest trace was kept")
	}
}

// TestARunningRunsTraceShowsHowFarItHasGot: written again as pages come, the trace of
// a run still going names its pages (here read from inside the run's own progress).
func TestARunningRunsTraceShowsHowFarItHasGot(t *testing.T) {
	every := pipeline.TraceEvery
	pipeline.TraceEvery = 0
	t.Cleanup(func() { pipeline.TraceEvery = every })
	p := newProject(t, simulator.Options{Seed: 3}, "[resources.resource_catalog]\n")
	var seen *pipeline.Trace
	_, err := pipeline.Run(context.Background(), p.plan, pipeline.RunOptions{APIKey: p.key, BaseBackoff: time.Millisecond, Progress: func(pr pipeline.Progress) {
		if seen == nil && pr.Retry == nil && pr.Pages >= 3 {
			seen, _ = pipeline.FindTrace(p.plan, "")
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if seen == nil || seen.Outcome != pipeline.OutcomeRunning || seen.Resources[0].Pages < 2 {
		t.Fatalf("the trace while the run went on: %+v", seen)
	}
}
