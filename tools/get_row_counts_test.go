package tools

import (
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

func TestGetRowCounts(t *testing.T) {
	f := loaded(t)
	var out GetRowCountsOut
	res := call(t, GetRowCounts(f.d), nil)
	structured(t, res, &out)
	catalog := int64(f.sim.Workspace().CatalogSize())
	var sum int64
	for name, n := range out.Tables {
		if strings.HasPrefix(name, "_") {
			t.Errorf("a system table is counted: %s", name)
		}
		sum += n
	}
	if out.Tables["resource_catalog"] != catalog || out.Tables["resource_catalog__tags"] == 0 || out.Total != sum || len(out.Tables) != 23 {
		t.Fatalf("%+v", out)
	}
	if txt := text(res); !strings.HasPrefix(txt, jsonNumber(int(sum))+" rows in 23 tables:\n- collection: ") ||
		!strings.Contains(txt, "- resource_catalog: "+jsonNumber(int(catalog))+"\n") {
		t.Fatalf("text:\n%s", txt)
	}
}

func TestGetRowCountsBeforeAnyLoad(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	wantError(t, call(t, GetRowCounts(f.d), nil), "scaffold_config")
	f.config(t, "[resources.collection]\n")
	wantError(t, call(t, GetRowCounts(f.d), nil), "nothing loaded yet", "Call run_pipeline first")
}
