package tools

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestNoDefaultResponseIsLargerThan16KB: every tool called with its defaults (only the
// arguments it requires) answers within 16 kB of text and 16 kB of structured content
// on the loaded workspace; query_dataset of a whole wide table without a limit says
// how to get more.
func TestNoDefaultResponseIsLargerThan16KB(t *testing.T) {
	f := loaded(t)
	var found SearchCatalogOut
	structured(t, call(t, SearchCatalog(f.d), map[string]any{"query": "customer"}), &found)
	if len(found.Results) == 0 {
		t.Fatal("search_catalog found nothing to describe")
	}
	id := found.Results[0].ID
	required := map[string]map[string]any{
		"preview_endpoint":  {"endpoint": "resource_catalog"},
		"get_table_schema":  {"table": "resource_catalog"},
		"preview_table":     {"table": "resource_catalog"},
		"query_dataset":     {"sql": "SELECT * FROM resource_catalog"},
		"search_catalog":    {"query": "customer"},
		"describe_resource": {"resource": id},
		"get_lineage":       {"resource": id},
	}
	for _, tool := range All(f.d) {
		if tool.Writes() {
			continue // a write's answer is the work it did (run_pipeline, scaffold_config)
		}
		res := call(t, tool, required[tool.Def.Name])
		b, _ := json.Marshal(res.StructuredContent)
		if len(text(res)) > DefaultResponseBytes || len(b) > DefaultResponseBytes {
			t.Errorf("%s: %d bytes of text, %d of structured content", tool.Def.Name, len(text(res)), len(b))
		}
	}
	var out QueryResult
	structured(t, call(t, QueryDataset(f.d), map[string]any{"sql": "SELECT * FROM resource_catalog"}), &out)
	if !out.Truncated || !strings.Contains(out.More, "pass limit") || out.RowCount == 0 {
		t.Fatalf("a whole table without a limit: truncated %v, %d rows, more %q", out.Truncated, out.RowCount, out.More)
	}
	out = QueryResult{}
	structured(t, call(t, QueryDataset(f.d), map[string]any{"sql": "SELECT * FROM resource_catalog", "limit": 100}), &out)
	if out.RowCount != 100 {
		t.Fatalf("with limit 100: %d rows", out.RowCount)
	}
}
