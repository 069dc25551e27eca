package tools

import (
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
