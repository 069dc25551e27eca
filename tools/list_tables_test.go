package tools

import (
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

func TestListTables(t *testing.T) {
	f := loaded(t)
	var out ListTablesOut
	res := call(t, ListTables(f.d), nil)
	structured(t, res, &out)
	byName := map[string]TableSummary{}
	for _, tb := range out.Tables {
		byName[tb.Name] = tb
	}
	if out.Dataset != "secoda_data" || out.Count != len(out.Tables) || out.Tables[0].Name != "collection" || out.Tables[len(out.Tables)-1].Name != "_workbench_runs" {
		t.Fatalf("%+v", out)
	}
	root, tags, loads := byName["resource_catalog"], byName["resource_catalog__tags"], byName["_dlt_loads"]
	if root.Rows != int64(f.sim.Workspace().CatalogSize()) || root.Parent != "" || root.Resource != "resource_catalog" || root.Disposition != "merge" ||
		root.Columns < 30 || root.System {
		t.Fatalf("resource_catalog: %+v", root)
	}
	if tags.Parent != "resource_catalog" || tags.Resource != "resource_catalog" || tags.Rows == 0 || tags.Columns != 5 || tags.System {
		t.Fatalf("resource_catalog__tags: %+v", tags)
	}
	if !loads.System || loads.Rows != 1 || loads.Columns != 5 || loads.Resource != "" {
		t.Fatalf("_dlt_loads: %+v", loads)
	}
	for _, want := range []string{"Dataset secoda_data: " + jsonNumber(out.Count) + " tables.", "| table | rows | parent | resource | disposition | columns |",
		"| resource_catalog__tags | " + jsonNumber(int(tags.Rows)) + " | resource_catalog | resource_catalog | - | 5 |", "| _dlt_loads | 1 | - | system | - | 5 |"} {
		if !strings.Contains(text(res), want) {
			t.Errorf("the text does not say %q:\n%s", want, text(res))
		}
	}
}

func TestListTablesBeforeAnyLoad(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	wantError(t, call(t, ListTables(f.d), nil), "scaffold_config")
	f.config(t, "[resources.collection]\n")
	wantError(t, call(t, ListTables(f.d), nil), "nothing loaded yet", "Call run_pipeline first")
}
