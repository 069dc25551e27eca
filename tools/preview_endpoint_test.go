package tools

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

func TestPreviewEndpointWithoutConfig(t *testing.T) {
	f := newFixture(t, simulator.Options{Seed: 5})
	preview := PreviewEndpoint(f.d)
	var out PreviewEndpointOut
	res := call(t, preview, map[string]any{"endpoint": "resource_catalog"})
	structured(t, res, &out)
	if out.Endpoint != "resource_catalog" || out.Resource != "resource_catalog" || out.Configured || out.PageRecords != 50 ||
		out.Count != f.sim.Workspace().CatalogSize() || out.TotalPages != (out.Count+49)/50 || len(out.Records) != 5 || out.Normalized != 50 {
		t.Fatalf("%+v", out)
	}
	if !out.Truncated || !strings.Contains(out.More, "raise limit (at most 50)") {
		t.Fatalf("a preview of 5 of 50 records: truncated %v, more %q", out.Truncated, out.More)
	}
	if !strings.HasPrefix(out.Records[0], `{"id":"`) || strings.Contains(out.Records[0], "\n") {
		t.Fatalf("a record is compact JSON: %s", out.Records[0])
	}
	tables := map[string]PageTable{}
	for _, tb := range out.Tables {
		tables[tb.Name] = tb
	}
	root, tags := tables["resource_catalog"], tables["resource_catalog__tags"]
	if out.Tables[0].Name != "resource_catalog" || root.Rows != 50 || root.Parent != "" || tags.Parent != "resource_catalog" || tags.Rows == 0 {
		t.Fatalf("tables: %+v", out.Tables)
	}
	cols := map[string]ColumnInfo{}
	for _, c := range root.Columns {
		cols[c.Name] = c
	}
	if cols["id"].DataType != "text" || cols["updated_at"].DataType != "timestamp" || cols["_dlt_id"].Nullable || cols["_dlt_id"].Name == "" {
		t.Fatalf("columns: %+v", root.Columns)
	}
	txt := text(res)
	for _, want := range []string{
		"resource_catalog (resource_catalog, the catalog's defaults): the first page, GET /api/v1/resource/catalog",
		"has 50 records of " + jsonNumber(out.Count),
		"The first 5 records:\n{\"id\":",
		"(raise limit (at most 50)",
		"- resource_catalog__tags (",
		"child of resource_catalog): value text",
		"Nothing was loaded. Next: Write the config with scaffold_config",
	} {
		if !strings.Contains(txt, want) {
			t.Errorf("the text does not say %q:\n%s", want, txt)
		}
	}
	// Nothing touched the dataset, the state or the work folder.
	for _, p := range []string{"secoda.duckdb", pipeline.WorkDirName, pipeline.ConfigFileName} {
		if _, err := os.Stat(filepath.Join(f.d.Dir, p)); !os.IsNotExist(err) {
			t.Errorf("preview_endpoint made %s", p)
		}
	}

	// A page shown whole is not truncated; records are cut at MaxRecordChars.
	out = PreviewEndpointOut{}
	structured(t, call(t, preview, map[string]any{"endpoint": "integration", "limit": 50}), &out)
	if out.Truncated || out.More != "" || len(out.Records) != out.PageRecords || out.Normalized != out.PageRecords {
		t.Fatalf("the whole page: %+v", out)
	}
	for _, r := range out.Records {
		var record map[string]any
		if err := json.Unmarshal([]byte(r), &record); err != nil || record["id"] == nil {
			t.Fatalf("an integration record, short enough to be whole, is not JSON: %v %s", err, r)
		}
	}
	structured(t, call(t, preview, map[string]any{"endpoint": "resource_catalog", "limit": 50}), &out)
	cut := 0
	for _, r := range out.Records {
		if len(r) > MaxRecordChars {
			t.Fatalf("a record of %d bytes", len(r))
		}
		if strings.HasSuffix(r, "…") {
			cut++
		}
	}
	if cut == 0 {
		t.Fatal("no catalog record was long enough to be cut: the test no longer checks the cut")
	}

	wantError(t, call(t, preview, map[string]any{"endpoint": "colection"}), `unknown endpoint "colection"`, "did you mean collection?", "list_endpoints")
	wantError(t, call(t, preview, map[string]any{"endpoint": "collection", "limit": 51}), "limit 51", "1 to 50")
	wantError(t, call(t, preview, map[string]any{"endpoint": "collection", "limit": -1}), "limit -1")

	f.env["SECODA_API_KEY"] = "wrong-" + f.key
	res = call(t, preview, map[string]any{"endpoint": "collection"})
	wantError(t, res, "rejected", "secoda-workbench secrets set")
	if strings.Contains(text(res), f.key) {
		t.Fatal("the error holds the key")
	}
	delete(f.env, "SECODA_API_KEY")
	wantError(t, call(t, preview, map[string]any{"endpoint": "collection"}), "no Secoda API key", "secoda-workbench secrets set")
}

func TestPreviewEndpointUsesTheConfiguredResource(t *testing.T) {
	f := newFixture(t, simulator.Options{Seed: 5})
	preview := PreviewEndpoint(f.d)
	f.config(t, "[resources.tables_only]\nendpoint = \"resource_catalog\"\nfilter = { operator = \"exact\", field = \"entity_type\", value = \"table\" }\n"+
		"[resources.collection]\n")
	var out PreviewEndpointOut
	res := call(t, preview, map[string]any{"endpoint": "tables_only", "limit": 50})
	structured(t, res, &out)
	if !out.Configured || out.Endpoint != "resource_catalog" || out.Resource != "tables_only" || out.Tables[0].Name != "tables_only" ||
		!strings.Contains(out.Path, "filter=") || out.PageRecords == 0 || out.Count >= f.sim.Workspace().CatalogSize() {
		t.Fatalf("%+v", out)
	}
	for _, r := range out.Records[:min(len(out.Records), 50)] {
		if !strings.HasPrefix(r, "{") || !strings.Contains(r, `"entity_type":"table"`) {
			t.Fatalf("the filter did not apply: %s", r)
		}
	}
	if !strings.Contains(text(res), "its settings in secoda_pipeline.toml") || !strings.Contains(out.Next, "run_pipeline") {
		t.Fatalf("text:\n%s", text(res))
	}
	// A catalog endpoint not in the config is read with the catalog's defaults.
	out = PreviewEndpointOut{}
	structured(t, call(t, preview, map[string]any{"endpoint": "document"}), &out)
	if out.Configured || !strings.Contains(out.Next, "is not in secoda_pipeline.toml") {
		t.Fatalf("%+v", out)
	}
	wantError(t, call(t, preview, map[string]any{"endpoint": "table_only"}), "did you mean tables_only?", "tables_only, collection")

	// An invalid config is reported, not guessed around.
	f.config(t, "[resources.collection]\npage_cap = \"x\"\n")
	wantError(t, call(t, preview, map[string]any{"endpoint": "collection"}), "page_cap", "validate_config")
	if _, err := os.Stat(filepath.Join(f.d.Dir, "secoda.duckdb")); !os.IsNotExist(err) {
		t.Fatal("preview_endpoint made the dataset")
	}
}

func TestPreviewEndpointResourceDetail(t *testing.T) {
	f := newFixture(t, simulator.Options{Seed: 5})
	var out PreviewEndpointOut
	res := call(t, PreviewEndpoint(f.d), map[string]any{"endpoint": "resource_detail", "limit": 3})
	structured(t, res, &out)
	if out.Endpoint != "resource_detail" || out.ListedFrom != "resource_catalog" || len(out.Records) != 3 || out.Normalized != 3 || out.PageRecords != 50 || !out.Truncated ||
		out.Tables[0].Name != "resource_detail" || out.Tables[0].Rows != 3 {
		t.Fatalf("%+v", out)
	}
	cols := map[string]bool{}
	for _, c := range out.Tables[0].Columns {
		cols[c.Name] = true
	}
	if !cols["parent"] || cols["parent__id"] { // the detail view's parent: the parent's id
		t.Fatalf("columns: %+v", out.Tables[0].Columns)
	}
	if txt := text(res); !strings.Contains(txt, "it fetches each record of resource_catalog whole; the first page, GET /api/v1/resource/catalog") ||
		!strings.Contains(txt, "The first 3, fetched whole:\n{") || !strings.Contains(txt, "Tables these 3 records would load into") {
		t.Fatalf("text:\n%s", text(res))
	}
}

func jsonNumber(n int) string { b, _ := json.Marshal(n); return string(b) }
