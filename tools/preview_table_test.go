package tools

import (
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

func TestPreviewTable(t *testing.T) {
	f := loaded(t)
	preview := PreviewTable(f.d)
	var out QueryResult
	res := call(t, preview, map[string]any{"table": "resource_catalog"})
	structured(t, res, &out)
	if out.RowCount != 10 || len(out.Rows) != 10 || !out.Truncated || out.Columns[0] != "id" || out.Types[0] != "VARCHAR" || out.Rows[0]["id"] == nil {
		t.Fatalf("%+v", out)
	}
	if !strings.Contains(out.More, "raise limit (at most 1000)") || !strings.Contains(out.More, "LIMIT 10 OFFSET 10") {
		t.Fatalf("more: %s", out.More)
	}
	if txt := text(res); !strings.HasPrefix(txt, "| id | created_at | updated_at |") || !strings.Contains(txt, "(the first 10 rows; there are more: raise limit") {
		t.Fatalf("text:\n%s", txt)
	}

	out = QueryResult{}
	structured(t, call(t, preview, map[string]any{"table": "integration", "limit": 1000}), &out)
	if out.RowCount != 3 || out.Truncated || out.More != "" {
		t.Fatalf("a whole table: %+v", out)
	}
	out = QueryResult{}
	res = call(t, preview, map[string]any{"table": "_dlt_loads"})
	structured(t, res, &out)
	if out.RowCount != 1 || out.Rows[0]["status"] != float64(0) || !strings.HasSuffix(text(res), "(1 rows)") {
		t.Fatalf("_dlt_loads: %+v\n%s", out, text(res))
	}

	wantError(t, call(t, preview, map[string]any{"table": "resource_catalog", "limit": 1001}), "limit 1001", "1 to 1000")
	wantError(t, call(t, preview, map[string]any{"table": "integrations"}), "did you mean integration?", "list_tables")
	wantError(t, call(t, preview, map[string]any{"table": `integration"; DROP TABLE integration; --`}), "is not in the dataset")
	structured(t, call(t, preview, map[string]any{"table": "integration"}), &out)
	if out.RowCount != 3 {
		t.Fatalf("after the hostile name: %+v", out)
	}
}

func TestPreviewTableBeforeAnyLoad(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	wantError(t, call(t, PreviewTable(f.d), map[string]any{"table": "collection"}), "scaffold_config")
	f.config(t, "[resources.collection]\n")
	wantError(t, call(t, PreviewTable(f.d), map[string]any{"table": "collection"}), "nothing loaded yet", "Call run_pipeline first")
}
