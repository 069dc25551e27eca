package tools

import (
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

func TestPipelineStatus(t *testing.T) {
	f := loaded(t)
	var out PipelineStatusOut
	res := call(t, PipelineStatus(f.d), nil)
	structured(t, res, &out)
	catalog := int64(f.sim.Workspace().CatalogSize())
	if !out.Loaded || out.Pipeline != "secoda_pipeline" || out.Dataset != "secoda_data" || out.Destination != "duckdb:secoda.duckdb" ||
		out.Config != "secoda_pipeline.toml" || strings.Join(out.Resources, ",") != "resource_catalog,document,collection,integration" || out.SchemaVersion < 1 {
		t.Fatalf("%+v", out)
	}
	if len(out.Loads) != 1 {
		t.Fatalf("loads: %+v", out.Loads)
	}
	l := out.Loads[0]
	if l.Status != "loaded" || l.LoadID == "" || l.Records < catalog || l.Requests == 0 || l.StartedAt.IsZero() || l.FinishedAt.Before(l.StartedAt) ||
		l.Rows["resource_catalog"] != catalog {
		t.Fatalf("load: %+v", l)
	}
	if out.RowCounts["resource_catalog"] != catalog || out.RowCounts["_dlt_loads"] != 1 || out.RowCounts["resource_catalog__tags"] == 0 {
		t.Fatalf("row counts: %v", out.RowCounts)
	}
	if out.Cursors["resource_catalog"]["updated_at"] == "" || out.Cursors["integration"] != nil {
		t.Fatalf("cursors: %v", out.Cursors)
	}
	txt := text(res)
	for _, want := range []string{
		"Pipeline secoda_pipeline, dataset secoda_data in duckdb:secoda.duckdb (config secoda_pipeline.toml)",
		"| load id | status | finished | duration | records | requests | retries | 429s |",
		"| " + l.LoadID + " | loaded |",
		"- resource_catalog: " + jsonNumber(int(catalog)) + "\n",
		"- resource_catalog.updated_at > " + out.Cursors["resource_catalog"]["updated_at"],
		"Next: Query the data",
	} {
		if !strings.Contains(txt, want) {
			t.Errorf("the text does not say %q:\n%s", want, txt)
		}
	}

	// A second run with nothing new loads nothing: still one load.
	call(t, RunPipeline(f.d), nil)
	structured(t, call(t, PipelineStatus(f.d), nil), &out)
	if len(out.Loads) != 1 {
		t.Fatalf("an unchanged workspace made a load: %+v", out.Loads)
	}
}

func TestPipelineStatusBeforeAnyLoad(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	status := PipelineStatus(f.d)
	wantError(t, call(t, status, nil), "no secoda_pipeline.toml", "scaffold_config")
	f.config(t, "[resources.collection]\n")
	var out PipelineStatusOut
	res := call(t, status, nil)
	structured(t, res, &out)
	if out.Loaded || len(out.Loads) != 0 || len(out.RowCounts) != 0 || len(out.Cursors) != 0 || !strings.Contains(out.Next, "run_pipeline") {
		t.Fatalf("%+v", out)
	}
	if !strings.Contains(text(res), "Nothing loaded yet: call run_pipeline") {
		t.Fatalf("text:\n%s", text(res))
	}
}
