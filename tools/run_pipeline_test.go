package tools

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

func TestRunPipeline(t *testing.T) {
	f := newFixture(t, simulator.Options{Seed: 2})
	run := RunPipeline(f.d)
	wantError(t, call(t, run, nil), "secoda-workbench scaffold")
	f.config(t, "[resources.resource_catalog]\n[resources.collection]\n")

	var out RunPipelineOut
	res := call(t, run, map[string]any{"max_pages": 1})
	structured(t, res, &out)
	if !out.Loaded || out.Resources[0].Pages != 1 || !out.Resources[0].Truncated || !strings.Contains(out.Next, "without max_pages") {
		t.Fatalf("max_pages 1: %+v", out)
	}
	if !strings.Contains(text(res), "is LOADED and contains no failed jobs") {
		t.Fatalf("text:\n%s", text(res))
	}
	res = call(t, run, nil)
	structured(t, res, &out)
	rows := map[string]int64{}
	for _, tl := range out.Tables {
		rows[tl.Name] = tl.Rows
	}
	if rows["resource_catalog"] != int64(f.sim.Workspace().CatalogSize()) || rows["resource_catalog__tags"] == 0 {
		t.Fatalf("full run: %+v", out.Tables)
	}
	res = call(t, run, nil)
	structured(t, res, &out)
	if out.Loaded || !strings.Contains(out.Next, "Nothing new") {
		t.Fatalf("an unchanged workspace: %+v", out)
	}
	wantError(t, call(t, run, map[string]any{"resources": []string{"collections"}}), "did you mean collection")
	wantError(t, call(t, run, map[string]any{"max_pages": -1}), "max_pages must be 0 (no limit) or 1 to", "got -1")

	f.env["SECODA_API_KEY"] = "wrong-" + f.key
	res = call(t, run, map[string]any{"full_refresh": true})
	wantError(t, res, "rejected", "secoda-workbench secrets set")
	if strings.Contains(text(res), f.key) {
		t.Fatal("the error holds the key")
	}
	delete(f.env, "SECODA_API_KEY")
	wantError(t, call(t, run, nil), "secoda-workbench secrets set")
}

// TestARunsResultIsBoundedHoweverMuchTheSchemaGrew: a source that grows thousands of
// tables and columns in one run gets a result within MaxStructured that names the
// first of them and counts the rest; collisions are passed on.
func TestARunsResultIsBoundedHoweverMuchTheSchemaGrew(t *testing.T) {
	info := &pipeline.LoadInfo{Loaded: true, Resources: []pipeline.ResourceInfo{{Name: "resource_catalog",
		Collisions: []normalize.Collision{{Table: "resource_catalog", Column: "foo", Fields: []string{"Foo", "foo"}, Dropped: 2}}}}}
	for i := range 2000 {
		ti := pipeline.TableInfo{Name: fmt.Sprintf("resource_catalog__%s_%d", strings.Repeat("t", 40), i), Rows: 1, NewTable: true}
		for j := range 2000 {
			ti.NewColumns = append(ti.NewColumns, fmt.Sprintf("%s_%d", strings.Repeat("c", 40), j))
		}
		ti.VariantColumns = ti.NewColumns
		info.Tables = append(info.Tables, ti)
	}
	out := runOut(info)
	b, _ := json.Marshal(out)
	if len(b) > MaxStructured {
		t.Fatalf("%d bytes", len(b))
	}
	if len(out.Tables) != MaxTablesListed || !strings.Contains(out.TablesListed, "of 2000 tables") ||
		len(out.Tables[0].NewColumns) != MaxNewColumnsListed || out.Tables[0].NewColumnCount != 2000 {
		t.Fatalf("%d tables, %q, %d columns of %d", len(out.Tables), out.TablesListed, len(out.Tables[0].NewColumns), out.Tables[0].NewColumnCount)
	}
	if len(out.Resources[0].Collisions) != 1 || out.Resources[0].Collisions[0].Dropped != 2 {
		t.Fatalf("collisions: %+v", out.Resources[0].Collisions)
	}
}
