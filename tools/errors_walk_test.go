package tools

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

// nextStep matches what an error must end with: a tool to call or a command to run.
var nextStep = regexp.MustCompile("(?i)(call |run |use |give |pass |add |fix |set |scaffold|run_pipeline|list_tables|search_catalog|list_endpoints|secoda-workbench )")

// TestEveryToolErrorSaysWhatToDo walks the states an agent meets first — no config,
// a config with nothing loaded, arguments that do not fit — through every tool, and
// checks that each error names the next step.
func TestEveryToolErrorSaysWhatToDo(t *testing.T) {
	f := newFixture(t, simulator.Options{Seed: 4})
	f.env["SECODA_API_KEY"] = "" // and no key
	args := map[string]map[string]any{
		"preview_endpoint":  {"endpoint": "resource_catalog"},
		"get_table_schema":  {"table": "resource_catalog"},
		"preview_table":     {"table": "resource_catalog"},
		"query_dataset":     {"sql": "SELECT 1"},
		"search_catalog":    {"query": "customer"},
		"describe_resource": {"resource": "x"},
		"get_lineage":       {"resource": "x"},
	}
	walk := func(state string) {
		for _, tool := range All(f.d) {
			if tool.Def.Name == "scaffold_config" || tool.Def.Name == "list_endpoints" {
				continue // they need no project
			}
			res := call(t, tool, args[tool.Def.Name])
			if !res.IsError {
				continue // this tool answers in this state
			}
			if msg := text(res); !nextStep.MatchString(msg) {
				t.Errorf("%s, %s: the error names no next step: %q", state, tool.Def.Name, msg)
			}
		}
	}
	walk("no config")
	f.config(t, "[resources.resource_catalog]\n")
	walk("nothing loaded, no key")
	f.env["SECODA_API_KEY"] = f.key + "-wrong"
	walk("a wrong key")

	// Arguments that do not fit: each tool says what it takes.
	for _, tool := range All(f.d) {
		res := call(t, tool, map[string]any{"limit": "many", "resources": 7, "sql": 3, "table": true, "query": []int{1}, "resource": 2, "endpoint": 1})
		if res.IsError && !strings.Contains(text(res), "input schema") && !nextStep.MatchString(text(res)) {
			t.Errorf("wrong arguments, %s: %q", tool.Def.Name, text(res))
		}
	}
}

// TestEveryToolsOwnErrorsSayWhatToDo walks the errors each tool gives its own
// arguments once the schema has taken them (a loaded dataset, so that the argument is
// what is wrong), then the destination's failures: a DuckDB file that is not one, and
// a PostgreSQL server that does not answer. Each error must name the next step.
func TestEveryToolsOwnErrorsSayWhatToDo(t *testing.T) {
	f := catalogLoaded(t)
	bad := []struct {
		tool Tool
		args map[string]any
	}{
		{SearchCatalog(f.d), map[string]any{"query": "!!!"}},
		{SearchCatalog(f.d), map[string]any{"query": "customer", "limit": 999}},
		{SearchCatalog(f.d), map[string]any{"query": "a b c d e f g h i"}},
		{SearchCatalog(f.d), map[string]any{"query": "customer", "integration": "nowhere"}},
		{SearchCatalog(f.d), map[string]any{"query": "zzzz", "entity_type": "spaceship"}},
		{DescribeResource(f.d), map[string]any{"resource": ""}},
		{DescribeResource(f.d), map[string]any{"resource": "no such resource"}},
		{DescribeResource(f.d), map[string]any{"resource": strings.Repeat("x", 2000)}},
		{GetLineage(f.d), map[string]any{"resource": "fct_customers_1", "direction": "sideways"}},
		{GetLineage(f.d), map[string]any{"resource": "fct_customers_1", "depth": 99}},
		{GetLineage(f.d), map[string]any{"resource": "fct_customers_1", "limit": 9999}},
		{QueryDataset(f.d), map[string]any{"sql": "DROP TABLE resource_catalog"}},
		{QueryDataset(f.d), map[string]any{"sql": "SELECT * FROM no_such_table"}},
		{QueryDataset(f.d), map[string]any{"sql": "SELEC 1"}},
		{QueryDataset(f.d), map[string]any{"sql": "SELECT 1", "limit": 99999}},
		{QueryDataset(f.d), map[string]any{"sql": "SELECT 1", "format": "xml"}},
		{PreviewTable(f.d), map[string]any{"table": "no_such_table"}},
		{PreviewTable(f.d), map[string]any{"table": "resource_catalog", "limit": 99999}},
		{GetTableSchema(f.d), map[string]any{"table": "no_such_table"}},
		{GetRunTrace(f.d), map[string]any{"run_id": "1.2"}},
		{GetRunTrace(f.d), map[string]any{"run_id": strings.Repeat("9", 100)}},
		{ExportSchema(f.d), map[string]any{"format": "yaml"}},
		{PreviewEndpoint(f.d), map[string]any{"endpoint": "no_such_endpoint"}},
		{PreviewEndpoint(f.d), map[string]any{"endpoint": "resource_catalog", "limit": 999}},
		{RunPipeline(f.d), map[string]any{"resources": []string{"no_such_resource"}}},
		{RunPipeline(f.d), map[string]any{"max_pages": -1}},
		{ScaffoldConfig(f.d), map[string]any{"resources": []string{"no_such_endpoint"}}},
		{ScaffoldConfig(f.d), map[string]any{"resources": []string{"resource_catalog"}}}, // the config exists
		{ScaffoldConfig(f.d), map[string]any{"resources": []string{"resource_catalog"}, "destination": "oracle", "overwrite": true}},
	}
	for _, b := range bad {
		res := call(t, b.tool, b.args)
		if !res.IsError {
			t.Errorf("%s %v: no error: %.200s", b.tool.Def.Name, b.args, text(res))
			continue
		}
		if msg := text(res); !nextStep.MatchString(msg) {
			t.Errorf("%s %v: the error names no next step: %q", b.tool.Def.Name, b.args, msg)
		}
	}

	// The destination fails: each tool that reads it says what to do.
	reads := map[string]map[string]any{
		"list_tables": nil, "get_row_counts": nil, "pipeline_status": nil, "export_schema": nil, "catalog_report": nil,
		"get_table_schema": {"table": "resource_catalog"}, "preview_table": {"table": "resource_catalog"},
		"query_dataset": {"sql": "SELECT 1"}, "search_catalog": {"query": "customer"},
		"describe_resource": {"resource": "x"}, "get_lineage": {"resource": "x"},
	}
	walk := func(state string) {
		t.Helper()
		for _, tool := range All(f.d) {
			args, ok := reads[tool.Def.Name]
			if !ok {
				continue
			}
			res := call(t, tool, args)
			if !res.IsError && tool.Def.Name != "pipeline_status" {
				t.Errorf("%s, %s: no error: %.200s", state, tool.Def.Name, text(res))
				continue
			}
			if msg := text(res); res.IsError && !nextStep.MatchString(msg) {
				t.Errorf("%s, %s: the error names no next step: %q", state, tool.Def.Name, msg)
			}
		}
	}
	if err := os.RemoveAll(filepath.Join(f.d.Dir, ".secoda-workbench", "search")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.d.Dir, "secoda.duckdb"), []byte(strings.Repeat("not a database\n", 1000)), 0o644); err != nil {
		t.Fatal(err)
	}
	walk("a DuckDB file that is not one")
	f.config(t, "[destination]\ntype = \"postgres\"\nurl = \"postgres://nobody@127.0.0.1:1/nowhere\"\n\n"+catalogResources)
	f.env["SECODA_DESTINATION_PASSWORD"] = "unused-" + f.key[:6]
	walk("a PostgreSQL server that does not answer")
}
